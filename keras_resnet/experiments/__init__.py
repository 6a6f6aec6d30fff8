"""The papers' experiments as functions: gradient flow, the degradation comparison (Figure 6), plots."""
