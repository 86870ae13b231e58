"""Models: lead-grouped XGBoost on per-lead features, lead-set catalogue, metrics, deep models (optional)."""
