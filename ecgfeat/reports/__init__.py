"""Reports: figures and tables of a study (never computes importance itself)."""
