"""The storage items of the pallets the simnet models (SubtensorModule, AdminUtils,
Commitments, Swap, Drand) that it deliberately does not serve, each with the reason.

They read as absent (`null`), as an unset key reads on a node, so a client decodes the
metadata's default. A test walks the metadata and fails on an item of these pallets that is
neither in `storage_items.SERVED` nor here.
"""

from __future__ import annotations

MODELLED_PALLETS = ("SubtensorModule", "AdminUtils", "Commitments", "Swap", "Drand")

_REASONS: dict[str, tuple[str, ...]] = {
    "the simnet's child and parent hotkeys are seeded at genesis (no set_children): none "
    "pending, no child takes": (
        "PendingChildKeys",
        "PendingChildKeyCooldown",
        "ChildkeyTake",
        "MinChildkeyTake",
        "MaxChildkeyTake",
        "LastTxBlockChildKeyTake",
        "TxChildkeyTakeRateLimit",
    ),
    "rate limits and bookkeeping of calls the simnet does not dispatch (staking, swaps, "
    "delegate takes, network registration): the chain's defaults apply": (
        "LastTxBlock",
        "LastTxBlockDelegateTake",
        "TxRateLimit",
        "TxDelegateTakeRateLimit",
        "LastRateLimitedBlock",
        "TransactionKeyLastBlock",
        "StakingOperationRateLimiter",
        "LastColdkeyHotkeyStakeBlock",
        "NetworkRateLimit",
        "NetworkLastLockCost",
        "NetworkMinLockCost",
        "NetworkLockReductionInterval",
        "NetworkRegistrationStartBlock",
        "NetworkImmunityPeriod",
        "SubnetLimit",
        "SubnetLocked",
        "LargestLocked",
        "MinDelegateTake",
        "MaxDelegateTake",
        "NominatorMinRequiredStake",
        "WeightsVersionKeyRateLimit",
        "OwnerHyperparamRateLimit",
        "AdminFreezeWindow",
        "NextStakeJobId",
    ),
    "registration accounting (per interval, PoW work): the simnet does not adjust burn or "
    "difficulty": (
        "RegistrationsThisBlock",
        "RegistrationsThisInterval",
        "BurnRegistrationsThisInterval",
        "POWRegistrationsThisInterval",
        "LastAdjustmentBlock",
        "UsedWork",
    ),
    "coldkey swaps, hotkey swaps and subnet dissolution are not simulated": (
        "ColdkeySwapScheduled",
        "ColdkeySwapScheduleDuration",
        "ColdkeySwapRescheduleDuration",
        "LastHotkeySwapOnNetuid",
        "DissolveNetworkScheduleDuration",
    ),
    "subnet leases are not simulated": (
        "SubnetLeases",
        "SubnetLeaseShares",
        "SubnetUidToLeaseId",
        "NextSubnetLeaseId",
        "AccumulatedLeaseDividends",
    ),
    "emission internals the simnet does not compute (it moves the results, the neurons' "
    "emission and dividends, at each epoch)": (
        "BlockEmission",
        "LoadedEmission",
        "PendingOwnerCut",
        "PendingRootDivs",
        "PendingAlphaSwapped",
        "LastHotkeyEmissionOnNetuid",
        "TotalHotkeyAlphaLastEpoch",
        "FirstEmissionBlockNumber",
        "SubnetOwnerCut",
        "TaoWeight",
        "StakeWeight",
        "CKBurn",
        "SubnetMovingAlpha",
        "SubnetAlphaInProvided",
        "SubnetTaoProvided",
        "TotalIssuance",
        "TotalStake",
        "ScalingLawPower",
        "ValidatorPruneLen",
        "SenateRequiredStakePercentage",
        "MinActivityCutoff",
    ),
    "superseded by a newer item the simnet serves (SubnetIdentitiesV3, TimelockedWeightCommits)": (
        "SubnetIdentities",
        "SubnetIdentitiesV2",
        "CRV3WeightCommits",
        "CRV3WeightCommitsV2",
    ),
    "the simnet keeps no EVM keys, auto-stake or neuron certificates; coldkey identities are "
    "finney's, in IdentitiesV2 (Identities is its older form)": (
        "Identities",
        "AssociatedEvmAddress",
        "AutoStakeDestination",
        "NeuronCertificates",
    ),
    "runtime-upgrade bookkeeping, meaningless without upgrades": ("HasMigrationRun",),
    "the EVM precompiles are not simulated": ("PrecompileEnable",),
    "timelocked commitments are never revealed offline (no drand signatures: the revealed "
    "ones are seeded at genesis), and the simnet counts no commitment space or bonds resets": (
        "TimelockedIndex",
        "UsedSpaceOf",
        "MaxSpace",
        "LastBondsReset",
    ),
    "the simnet stores no drand pulses (it cannot sign them); LastStoredRound follows the "
    "block's time": ("BeaconConfig", "OldestStoredRound", "Pulses", "NextUnsignedAt"),
    "user liquidity positions are not simulated: the price is the pool's (AlphaSqrtPrice), "
    "with no ticks, positions or fees": (
        "CurrentLiquidity",
        "CurrentTick",
        "EnabledUserLiquidity",
        "FeeGlobalAlpha",
        "FeeGlobalTao",
        "FeeRate",
        "LastPositionId",
        "Positions",
        "TickIndexBitmapWords",
        "Ticks",
    ),
}

# item name -> why the simnet does not serve it (names are unique across these pallets but for
# HasMigrationRun, absent in both SubtensorModule and Drand for the same reason)
ABSENT: dict[str, str] = {name: reason for reason, names in _REASONS.items() for name in names}
