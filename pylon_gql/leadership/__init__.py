"""Several replicas on one database: one commits the weights (the leader of a lease per
(netuid, hotkey)), and every signed write holds its signer's lock across the replicas.

`coordination_for(url)` picks the locks a store's URL calls for (PostgreSQL advisory locks, a
file lock beside a SQLite file, nothing for a database in memory); `Leadership` runs this
replica's part in the lease.
"""

from .coordination import coordination_for
from .leader import Leadership
from .lease import Coordination, Lease, SignerLocks

__all__ = ["Coordination", "Leadership", "Lease", "SignerLocks", "coordination_for"]
