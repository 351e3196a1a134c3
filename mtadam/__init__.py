"""MTAdam: Adam for multi-term objectives (Malkiel & Wolf).

The optimizer is in ``mtadam/mtadam.py``.
"""

from .mtadam import LossScaler, MTAdam

__all__ = ["MTAdam", "LossScaler"]
__version__ = "0.1.0"
