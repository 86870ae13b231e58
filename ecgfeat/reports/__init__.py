"""Figures and the study report (markdown and self-contained HTML)."""
