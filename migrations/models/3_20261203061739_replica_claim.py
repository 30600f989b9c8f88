"""The replica that made each commit attempt, and the claim of an epoch by an automatic attempt
(one per netuid and epoch: two committers can never both commit in one epoch)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
        CREATE TABLE IF NOT EXISTS "commit_claim" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "netuid" INT NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch claimed (`WeightCommit.epoch`). */,
    "created_at" TIMESTAMP NOT NULL,
    "attempt_id" INT NOT NULL UNIQUE REFERENCES "weight_commit" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_commit_clai_netuid_cfe0af" UNIQUE ("netuid", "epoch")
) /* An epoch an automatic attempt holds: at most one per (netuid, epoch), so that two */;
        ALTER TABLE "weight_commit" ADD "replica" VARCHAR(64) /* The server process that made the attempt (`replica_id`; null in rows written before). */;"""

POSTGRES_UP = """
CREATE TABLE IF NOT EXISTS "commit_claim" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "netuid" INT NOT NULL,
    "epoch" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "attempt_id" INT NOT NULL UNIQUE REFERENCES "weight_commit" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_commit_clai_netuid_cfe0af" UNIQUE ("netuid", "epoch")
);
COMMENT ON COLUMN "commit_claim"."epoch" IS 'First block of the epoch claimed (`WeightCommit.epoch`).';
COMMENT ON TABLE "commit_claim" IS 'An epoch an automatic attempt holds: at most one per (netuid, epoch).';
ALTER TABLE "weight_commit" ADD "replica" VARCHAR(64);
COMMENT ON COLUMN "weight_commit"."replica" IS 'The server process that made the attempt (`replica_id`; null in rows written before).';"""

SQLITE_DOWN = """
        ALTER TABLE "weight_commit" DROP COLUMN "replica";
        DROP TABLE IF EXISTS "commit_claim";"""

POSTGRES_DOWN = """
        ALTER TABLE "weight_commit" DROP COLUMN "replica";
        DROP TABLE IF EXISTS "commit_claim";"""


def _sql(db: BaseDBAsyncClient, **by_dialect: str) -> str:
    """This migration's SQL for the database's dialect: one history for SQLite and Postgres."""
    dialect = db.capabilities.dialect
    if dialect not in by_dialect:
        raise NotImplementedError(
            f"pylon-gql's database is SQLite or PostgreSQL, not {dialect}: "
            "use sqlite://<path> or postgres://..."
        )
    return by_dialect[dialect]


async def upgrade(db: BaseDBAsyncClient) -> str:
    return _sql(db, sqlite=SQLITE_UP, postgres=POSTGRES_UP)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return _sql(db, sqlite=SQLITE_DOWN, postgres=POSTGRES_DOWN)


async def upgrade(db: BaseDBAsyncClient) -> str:
    return _sql(db, sqlite=SQLITE_UP, postgres=POSTGRES_UP)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return _sql(db, sqlite=SQLITE_DOWN, postgres=POSTGRES_DOWN)


MODELS_STATE = (
    "eJztW29PIzcT/ypW3jSRcghyHNxDpUcKXK7HI45UkPaqlmrj7Jpkxcberh1ytA/fvTP2/s"
    "9uyEKSLte8QcGesb0znpnfjO2/GlPhME/unYnp1FVnHnWnjRPyV4PTKYMfRd1t0qC+n3Ri"
    "g6IjT9PbmtCyY8qRVAG1FfTdUk8yaHKYtAPXV67gyNHlhPnCnhDKCZ0pMaXKtQlVik19RS"
    "bCc+QJ/EumQioiOCM+C0iTMzVznbZhbbWJFERNgErNBU7rCBvmdfl4IzPccPOZigWSNAPm"
    "e65NZYvYMAFn98A9EmpCDBFxuR5Uj7NHvgTIx7FVTRgB4XAJ8gFh6OFveMBsEThS94Zr/J"
    "5QkJ7rMSdeNcwK38ecFhm790wSmGdE7bvyYac0uNNkZiA9pMup5/7J4CNd/ubWc8cT+P4A"
    "/oEPC2a+gvlw5XeM+ci6h5KdcfePGbOUGDOYKAD5/vZbw8gKu/VXNn7/HX663GFfmUQK/N"
    "e/s25d5jmZ7WWYdLulHnzdds7VR02IehxZtvBmU54Q+w9qInhMDYvF1jHjLKCwYmhTwQz3"
    "GZ95Xrgto61nFp+QmCWmeBx2S2ce7lbkNgtI2hqWddkfWNe9gWU1FnZyxJHaemGTLThaAS"
    "xV6q8f4xLedA4Ojw/fvz06fA8keplxy/GjmToRjGHU4rkcNB51P1XUUGgZJ0JNtLGiYBOG"
    "p4UbiXKZdKOGRLyJ7b8a+SbyNHt6dXHG9HWWZuOjG4C7G3kCvIa41V7DeEntu8H0m8MvDF"
    "2C8f17unPY2ltwry8ZaMOaswOGgraoWlTfB+hRsL5iHWY5c4p0Qta96Ed91LqykSyR4+D8"
    "c+960P38Iw4/lfIPT8urO+hhT0e3PuRam0ctbBcQ6w0QiAchX84Hnwj+S37tX/a0OCHQjg"
    "M9Y0I3+LWBa8IAbXExt6iTlknUHDVl1BwGRauS08syrcdUX31YwUB9e5eKKtiAwGJOA8da"
    "6BEdURiBQtkuaqPP2UDAH62Sc1g+5TYrkH8IO9N+49Xp4zHacVFrMn9A5zEYym1EEAJ8Ol"
    "NaDGfd67Puh17jMaOGrNSxa9qZ5lsop2P9ybg4XEpGpEUYP+xZCu/nCc3TwJ4Yah0R7gFp"
    "grcEdDmm94wMJ0LdsYdhhFdNwIDtECgQKYJxE0+GJlgsBp11D14Ia804O1hbD1ibaCMr2L"
    "MJDYolm3DkpAvLfoUhG4z6q+UxPlYT+PfocIk0f+5enX3qXjWPDnNh+TLs6eiumuPcNeze"
    "cnSKv0If4kpyK4IKyLaYd8NgNvG9Wf189AQt0VDCklPRLfK8QhNYIrAP/Z9OL3rkx6ve2f"
    "n1ef8yC1N1JzZBg2uC61Wve5ET8cx3npkvZDl3+ULt8oUXIdt1w68Q0ZaCsATxPgXFLDsh"
    "fRKRAfCOC4hKEH+mUp5MEsGJPQGFt8ltIKYGMCGdi30zBTOxRR+5pjEL8NcObP2DYEsHvQ"
    "pyjelrXfMawM6cMOqQ+YTxdIXdbEwsiwtISDFxoCbutzWVgQCuIh6FBTnQv2gIax57w2BC"
    "z2pNqCwAfOWAOsv1LFAdGslWNA3rRNw21MsekiaOg/IPxFySeXgQM2KA3xgqYE4luWO+Kq"
    "hxvny45Vj+aBUsnw+ZKSx/VHssv9maddrcUO5T6rBCK33WCFsB9tKqqrMFvtepu/lEyAQw"
    "zBlYT3S86lRQ4JPDbFiLu1O39coTIW+V2BTR17nU0xiG9yMCds+oN8TT9qFkqqDAuZRyaT"
    "A5WCWYHJQHk4OFYAKLGo9ZUEUbKZbtKURnfY2qKkEmiOboSeJrHVHpeA7TiXlLSx9yuhlq"
    "QlOG6jHpmhyS6UxRHLEAO2xigi1vAPBToNsZLyiLlLq3DM/OwxV4OMcdM1kg0nKrSjhq7e"
    "WuP3XfdN4dkeaEfW1FURr2A3nz36hsOqV+Ep7bBADXMIIz5iOH2O3PFItvHmWMajNTbLng"
    "bny7FYCVFACHU3dcalx5zmfZ13ZSsarm9Z9O5+3b487+26P37w6Pj9+934/tbLFrmcGdnv"
    "+ANpfRxqIRQnKuZrKKESYcmzLCdZx7DH3GHRD3sE2GLrdMzgq/40t/BlKY24BF+KM6/5aD"
    "EgsCUYBJBuxrWY4bMdS4cLGWenzvl0GmFB9Jsfm5+0srU46/6F/+EJGnpH520T/NSTss1l"
    "ozfsfFnBe4KyE8Rnmx6Au4c0oYAfumQljcUqWABOpOSnmSBXitVyrh+8xJFXngkwNuSt7h"
    "N55g85Q+kAneRTBFvYKC0tqHX31/nPb7F5n9cXqe3wA/fT7tgTm2sidmuwt2/6IDs9256L"
    "9OzeFLhipgKMVS46iq6/ehk/UDYTMpzWMOXeVNl36bw/CLLNcZfk+WlPhLTgk2MssW8pJN"
    "nY+nYkX0JiiHG0K+6GroFfN0oaNgSxU/RqrFDnvxrdDHZ10kkD1d+y+9SBD2t5++SJA6Rq"
    "jwZkuDF4VgRT+jIhIQiprgLUtIyZtxMT7c0pAw2IhodDoePY8KbaLVXjCnjcxyw6l5W6Wv"
    "JRDzYSM8d9Uwi5/ED70ol3N84EVHAL2wmzMg4yLkBPyCr8PucUZusxuOg3IQLx4Ugv3PuB"
    "5UmrMKubvlUMNbDvpkvoJcY/r6PhcoPSA70T/v2AO2uvqIzNhN9Dyn+gufakPuzt9ega2k"
    "Dn3AX4oK4ozpd9IskKb+jCoePKLfSbPoRWZRvbz8bssLauTbOjK5oMW3Gpout72ZdO+L8o"
    "1VmTb9ytKcVJujTKtqTC3hrrO2/rF9n5VVNSso5N1Jueg+lkkkKpa4U1w1L21/mejsI/d0"
    "bh4IxUgzyZ5aMZyDbMdVJxrh3TMbiV2ZuJvvJBFzvpi+bWaaG+4LKd2R90AwoXvYIx9RBC"
    "eQhEFTPt9LX+UrOeTdTqH8G79PTc0ZhQdLgpCEpsAyIem7VG6Aqs8qSeum7NbtWof/Vm9V"
    "184lb/h68+5AolT0r/1AoiYPtboscIsrq2FPe1lNlSY0TxVTyxW7qxbWq1p4zwIZHkys6t"
    "pTLN+gX++8e7eCYweqUs+u+7KuHY2qgoRD8m9Qugf7+6tcmdrfL78zhX35DJJDklIQNf93"
    "3b8sSxxjlny4dG1F/k88V9YIlK4jUKIwMjFy4QZV/rJULvjhAKcbPFVdKZg9/g1MnWCw"
)
