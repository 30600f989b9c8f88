"""Mechanisms: each weight, commit attempt and epoch claim is for a subnet's mechanism (0: the
subnet's own weights, what every row before this migration is for), and which mechanisms'
weights were written (or cleared) in an epoch (`epoch_mechanism`, mechanism 0's from
`weights_epoch.written`).

The unique keys gain the mechanism: a weight per (hotkey, epoch, mechanism), a claim per
(netuid, epoch, mechanism). SQLite keeps a table's UNIQUE constraints in its CREATE TABLE, so
`weight` and `commit_claim` are rebuilt there (rows and ids kept); PostgreSQL swaps the
constraints."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
CREATE TABLE IF NOT EXISTS "epoch_mechanism" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "start" INT NOT NULL /* First block of the epoch (`WeightsEpoch.start`). */,
    "mechanism" INT NOT NULL,
    CONSTRAINT "uid_epoch_mecha_start_9f211c" UNIQUE ("start", "mechanism")
) /* A mechanism whose weights the validator wrote (or cleared) in an epoch: its vector in */;
INSERT INTO "epoch_mechanism" ("start", "mechanism")
    SELECT "start", 0 FROM "weights_epoch" WHERE "written";
CREATE TABLE "weight_new" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "hotkey" VARCHAR(64) NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch the weight is for. */,
    "weight" REAL NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "mechanism" INT NOT NULL DEFAULT 0 /* The subnet's mechanism the weight is for (0: the subnet's own weights). */,
    CONSTRAINT "uid_weight_hotkey_60060e" UNIQUE ("hotkey", "epoch", "mechanism")
) /* A weight the validator gave `hotkey` in the epoch starting at block `epoch`. */;
INSERT INTO "weight_new" ("id", "hotkey", "epoch", "weight", "updated_at", "mechanism")
    SELECT "id", "hotkey", "epoch", "weight", "updated_at", 0 FROM "weight";
DROP TABLE "weight";
ALTER TABLE "weight_new" RENAME TO "weight";
CREATE INDEX "idx_weight_epoch_2f1dbf" ON "weight" ("epoch");
CREATE TABLE "commit_claim_new" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "netuid" INT NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch claimed (`WeightCommit.epoch`). */,
    "created_at" TIMESTAMP NOT NULL,
    "mechanism" INT NOT NULL DEFAULT 0 /* The mechanism whose commit holds the claim (`WeightCommit.mechanism`). */,
    "attempt_id" INT NOT NULL UNIQUE REFERENCES "weight_commit" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_commit_clai_netuid_67a12c" UNIQUE ("netuid", "epoch", "mechanism")
) /* An epoch an automatic attempt holds: at most one per (netuid, epoch, mechanism), so that */;
INSERT INTO "commit_claim_new" ("id", "netuid", "epoch", "created_at", "mechanism", "attempt_id")
    SELECT "id", "netuid", "epoch", "created_at", 0, "attempt_id" FROM "commit_claim";
DROP TABLE "commit_claim";
ALTER TABLE "commit_claim_new" RENAME TO "commit_claim";
ALTER TABLE "weight_commit" ADD "mechanism" INT NOT NULL DEFAULT 0 /* The subnet's mechanism whose weights were committed (0: the subnet's own). */;"""

POSTGRES_UP = """
CREATE TABLE IF NOT EXISTS "epoch_mechanism" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "start" INT NOT NULL,
    "mechanism" INT NOT NULL,
    CONSTRAINT "uid_epoch_mecha_start_9f211c" UNIQUE ("start", "mechanism")
);
COMMENT ON COLUMN "epoch_mechanism"."start" IS 'First block of the epoch (`WeightsEpoch.start`).';
COMMENT ON TABLE "epoch_mechanism" IS 'A mechanism whose weights the validator wrote (or cleared) in an epoch.';
INSERT INTO "epoch_mechanism" ("start", "mechanism")
    SELECT "start", 0 FROM "weights_epoch" WHERE "written";
ALTER TABLE "weight" ADD "mechanism" INT NOT NULL DEFAULT 0;
COMMENT ON COLUMN "weight"."mechanism" IS 'The subnet''s mechanism the weight is for (0: the subnet''s own weights).';
ALTER TABLE "weight" DROP CONSTRAINT "uid_weight_hotkey_9dae2d";
ALTER TABLE "weight" ADD CONSTRAINT "uid_weight_hotkey_60060e" UNIQUE ("hotkey", "epoch", "mechanism");
ALTER TABLE "commit_claim" ADD "mechanism" INT NOT NULL DEFAULT 0;
COMMENT ON COLUMN "commit_claim"."mechanism" IS 'The mechanism whose commit holds the claim (`WeightCommit.mechanism`).';
ALTER TABLE "commit_claim" DROP CONSTRAINT "uid_commit_clai_netuid_cfe0af";
ALTER TABLE "commit_claim" ADD CONSTRAINT "uid_commit_clai_netuid_67a12c" UNIQUE ("netuid", "epoch", "mechanism");
ALTER TABLE "weight_commit" ADD "mechanism" INT NOT NULL DEFAULT 0;
COMMENT ON COLUMN "weight_commit"."mechanism" IS 'The subnet''s mechanism whose weights were committed (0: the subnet''s own).';"""

# Down: mechanism 0's rows only (the others cannot be kept under the old unique keys).
SQLITE_DOWN = """
DELETE FROM "weight" WHERE "mechanism" != 0;
DELETE FROM "commit_claim" WHERE "mechanism" != 0;
CREATE TABLE "weight_old" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "hotkey" VARCHAR(64) NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch the weight is for. */,
    "weight" REAL NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_weight_hotkey_9dae2d" UNIQUE ("hotkey", "epoch")
) /* A weight the validator gave `hotkey` in the epoch starting at block `epoch`. */;
INSERT INTO "weight_old" ("id", "hotkey", "epoch", "weight", "updated_at")
    SELECT "id", "hotkey", "epoch", "weight", "updated_at" FROM "weight";
DROP TABLE "weight";
ALTER TABLE "weight_old" RENAME TO "weight";
CREATE INDEX "idx_weight_epoch_2f1dbf" ON "weight" ("epoch");
CREATE TABLE "commit_claim_old" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "netuid" INT NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch claimed (`WeightCommit.epoch`). */,
    "created_at" TIMESTAMP NOT NULL,
    "attempt_id" INT NOT NULL UNIQUE REFERENCES "weight_commit" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_commit_clai_netuid_cfe0af" UNIQUE ("netuid", "epoch")
) /* An epoch an automatic attempt holds: at most one per (netuid, epoch), so that two */;
INSERT INTO "commit_claim_old" ("id", "netuid", "epoch", "created_at", "attempt_id")
    SELECT "id", "netuid", "epoch", "created_at", "attempt_id" FROM "commit_claim";
DROP TABLE "commit_claim";
ALTER TABLE "commit_claim_old" RENAME TO "commit_claim";
ALTER TABLE "weight_commit" DROP COLUMN "mechanism";
DROP TABLE IF EXISTS "epoch_mechanism";"""

POSTGRES_DOWN = """
DELETE FROM "weight" WHERE "mechanism" != 0;
DELETE FROM "commit_claim" WHERE "mechanism" != 0;
ALTER TABLE "weight" DROP CONSTRAINT "uid_weight_hotkey_60060e";
ALTER TABLE "weight" ADD CONSTRAINT "uid_weight_hotkey_9dae2d" UNIQUE ("hotkey", "epoch");
ALTER TABLE "weight" DROP COLUMN "mechanism";
ALTER TABLE "commit_claim" DROP CONSTRAINT "uid_commit_clai_netuid_67a12c";
ALTER TABLE "commit_claim" ADD CONSTRAINT "uid_commit_clai_netuid_cfe0af" UNIQUE ("netuid", "epoch");
ALTER TABLE "commit_claim" DROP COLUMN "mechanism";
ALTER TABLE "weight_commit" DROP COLUMN "mechanism";
DROP TABLE IF EXISTS "epoch_mechanism";"""


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


MODELS_STATE = (
    "eJztHNtu47byVwi/1Aa8QeLNZZsCB3Cy3m6KJC4S92zRbiHTEm0LkUlVpOJNe/LvZ0jqbs"
    "mxEsuRs34JHJJDUjOc+5D/NmbMIg7fO2ezmS3OHWzPGqfo3wbFMwI/8rrbqIFdN+6UDQKP"
    "HDXeVAMNMxo54sLDpoC+MXY4gSaLcNOzXWEzKiG6FBGXmVOEKcK+YDMsbBNhIcjMFWjKHI"
    "ufwr9oxrhAjBLkEg81KRG+bbU1aBvNiDnF1OazVhtxhsQUC7m6xUxY3qaTKhf6SsWcIf3h"
    "gngcNT3iOraJeQuZsBYl9zDRiIlpMAjheJofOJoTezIVHNlUraoW2kNfPDkbla1iShAgkX"
    "LAIyAtWNQjJvMsrnqDj/gJZh5j2yFW9FmwF0AAsVpoYt8TWESgETbviqedYe9ODdMTqSlt"
    "ih37HwJYsOm7sSO3i5gH/8Dner4rYD258ztCXAm6J1HvU/tvnxiCTQgs5AEB/vyzoZEpu9"
    "VXyh8RJhp//QX/2tQi3wiXw+W/7p0xtoljpc6knkG1G+LBVW0XVHxSAyXVR4bJHH9G48Hu"
    "g5gyGo2GncvWCaHEw7B9aBOeLw8n9R0nOMvhedVfEg/RW0zAWGSMfUcecQmtNxC3NQzjuj"
    "8wbnsDw2gsHP8QInFQgyaTUck6sFWuvn4it/Cuc3B4cvjh/fHhBxiithm1nDzqpWPEaECF"
    "nutB41H1Y4H1CIXjGKkxaVZEbAzwNHJDVC7DbtgQozcWGFuD3xif0QFfEZ3R+Dpjs/HJ9k"
    "A4jhwGIoSNlQjRMlUJfJADzeEXJc60wthTncPW3oIwfslEFVPO9IhEtKFVSJp8H6FHwP7y"
    "aZiGzBDSCkD3wh/1IevKTLIEj4OLq97toHv1qxLqnP/tKHx1Bz3Z01GtD5nW5nFLtjMwEL"
    "T1EE2CvlwMPiP5L/qjf91T6AS1PPHUivG4wR8NuSepzg3K5ga2kjgJm8OmFJljxbM6k6Zg"
    "Nseo+yW5dADcFG0VzaeMk9D0UGaOYjfFaFk2i6DyeHZ901bMwYHxY5TSZ2mg9RB36y0GaY"
    "ON7xIGg2yQBuQce5ax0MM6LNe4CHC7SI0+JQMGfxRJLmD7mJokB/+BG5I8VFtHj8fwxIWt"
    "8foenkd2buYgAhLg04lQaDjv3p53P/YajykypLEuu2adWbYFUzxRnyw3J7cSoLQnFetVJN"
    "dyfL/MiKXun1LTRkpMruABLkiV0CWSAuUefA9QmeBvzD0mCGrCL1AX2JNODbgxOHDrTsHz"
    "4OiemEK5JovuXxWrgO8HXlNgutg8tmPAr2Nz2kagtbg9ch6QJOlDJBe5QureXDt5w7byNW"
    "PfstiDAg7xxM5vqo/fFBFkRbxG47fTzs8cYPU1pez7JRNUbBVskcFXc354kVWwPtWlD1Ke"
    "ygp6lqqqeTxmBQ2lR2dUxQTfEzScMnFHHoZhSE0fc3WugQ4yoKi5YKhd2EVWWffkuXpDz7"
    "OLvNVQg8SkSSP2fIq9fMzGEBnswra3USTN8DfDIXQipvDv8eESbP63e3P+uXvTPD7MRA6u"
    "g56O6qp5KG4Np7dYwcpfgUABg3TMvBLKOR+2Yr0cC+I0fT45DBdQKAbJkGgsYbaQBZYg7G"
    "P/t7PLHvr1pnd+cXvRv05H0lSnbIIGWzuJN73uZQbFvms9M6SZhtyFNHchzdcLaXJ/RIkA"
    "zzp25BcEFmrun6rWaDC44aGnXxDTXNO8b93QDsJuheZ2HJZ7yug2zHjok7Z3n0b5bSQYcn"
    "2RoA6QgSIgmk3baOyxmTaN5TgZpmG+gJXIItXXNGeOpb2zpF/RklYWTQm8RuPr7NkrETUl"
    "2ELzKaHJcg99MGWNBqMmUVFKbdS11Sht39kCORg2ZEF/vvhb49wVW4pqVWOKeY41X+wtpa"
    "Ge5TEFTLIRSsM+pVE+VNseoqacR+LfY3OOgoAxGhHQSUQSYI45uiOuKNBtL5tuuaN2vIqj"
    "lrWHEo7ace0dtWpjqUl2k3ifYYvkcumzZtiI18aNsjRbgNtO2qUzSHPikagC0CpBwCenqZ"
    "iKu6qvNecYwOQto5vC8XWO4zWGQVGvR+4Jdoay9HPIicgJZS8duVSZHKyiTA6KlcnBgjKB"
    "TU0mxCtDjQTI5giiXPpGWZJIINDmquImrDwOkwRzWI7NWwr74NP5khJqZECeIAE3RDNfYD"
    "ljju1QxQIbPgAgp4C2Pi2TnU3B7CRcjoSz7AnhOSgt5qoYotZS7vZz913n6Bg1p+RbK9TS"
    "cB7Qu/+EoaAZdmP13EZgcA1Dc0Z/5FB2u74gURl8iqmqWWLD2RQt2w0PuCTHcDizJ4XMlY"
    "V8Fn9txhUry14/djrv35909t8ffzg6PDk5+rAf8dli1zKGO7v4WfJcihqLTAjOufB5GSaM"
    "IapiwnUktYYuoRage9hGQ5sa2meF39ENFG1S6KspefZHefgNKyXieSzHJhmQb0U+bghQ48"
    "DFWpItvd8HqTxLiMXmVff3VirXctm//jkcnsD6+WX/LIPtIFhr+PSOsjnNEVeMOQTTfNTn"
    "QGeIMALwqlRY1FImgATkjkN5nHjy5hkXzHWJlQjyyLpGqkPewTfKskbQPQ9oKqtOdFAvJ6"
    "C09ulXPx9n/f5l6nycXWQPwG9XZz1gx1Y6Hbq74PGdZkN3Se/vgszBZdsyxlACpMZaVeem"
    "tZB1PWYSztUdXR3lTYZ+m8PgiwzbGv6EloT4izLgVayyYb/k+yt+WBY8zq1XWL3+4ZlTb1"
    "EJRMIcCN8qyJiGAVx4RemGOCqWlXNU8h9JqIUQefHtpMdn1Yro6v5GYa1I0N9+ulYkkSkq"
    "8ZaEOp5C2qP6ZiIHI1RMZck0G6NmdK4DqRXf9WkjHD3SoMVeq73AM5Ws8pXi4AKlrDxB+s"
    "NGMrWuLGl6Gj43gTDlc/nMBB6BdS27KYFhlAWQYKLK5yru5YrUJPKGEoFeS+WCQcT7VE3K"
    "dTqK7wpZaljI8sqXiqrAbWEOVOuSO/IgW20Rv4cS3hQq/4hAuSl3KdYt4JVEXg/kJSuBzm"
    "j8Dps52FSfUUaCh+N32Mx79CUvJVJcvvSCNMimsmKXuOAap01Nx+f2fZ5LuSpQ1Q+56GIE"
    "na02yurUAug6U+vVzn0aV+W4IBd2h+W8kjvtSJTMYiSgap69+DJV3sfT7zEkXsyzRfpFhs"
    "UnGBakUzXLfKXppx720CeJglNwwqAp6+8lqzUL8vibyYW88ZJ5rNNQDmwJVJJkBZJSSYnn"
    "FxXp00RStCkqrF7r9G+1cL52IrniCvZdzqkQ9duec6rJXbwu8ez8yGrQ014WU8XxmKeCqc"
    "WE3UUL6xUtvCceDxITq4r2BMgblOudo6MVBDuMKpTsqi/zqCAwVQkMB8PfIHYP9vdXqYrb"
    "3y8ui5N9WQ+SgpOSozV/ue1fFzmOEUhWXdqmQP9Djs1rZJSuQ1FKZKR05EKRXLYeLqP85A"
    "Rnr32x/PH/jbV31w=="
)
