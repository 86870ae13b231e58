"""ecgfeat: how much each lead of a 12-lead ECG contributes to each diagnosis.

Data flows one way: records → features → models → importance → reports.
"""
from ._constants import LEADS

__version__ = "0.1.0"
__all__ = ["LEADS", "__version__"]
