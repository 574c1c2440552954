"""Data requests: MLOps asks Data Eng for data; the RACI row for contracts says who decides."""
