"""Who may do what (a placeholder until the write path lands).

Everything the schema serves today is public chain data: anyone may read it, so no field has a
permission class. The write path adds them here as strawberry `BasePermission` classes with a
message that says what to do, following the domain's rules: only the validator's own service
may set and commit its weights and set its commitment (it signs with the service's hotkey), and
only the subnet owner may set hyperparameters (the chain itself refuses anyone else).
"""

from __future__ import annotations

__all__: list[str] = []
