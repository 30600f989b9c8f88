from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "weight" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "hotkey" VARCHAR(64) NOT NULL,
    "epoch" INT NOT NULL /* First block of the epoch the weight is for. */,
    "weight" REAL NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_weight_hotkey_9dae2d" UNIQUE ("hotkey", "epoch")
) /* A weight the validator gave `hotkey` in the epoch starting at block `epoch`. */;
CREATE TABLE IF NOT EXISTS "weight_commit" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "block" INT NOT NULL /* The head when the attempt started; once in a block, the block it landed in. */,
    "epoch" INT NOT NULL /* First block of the epoch the attempt was made in. */,
    "weights_epoch" INT NOT NULL /* First block of the epoch whose weights were committed. */,
    "netuid" INT NOT NULL,
    "mode" VARCHAR(16) NOT NULL /* `commit_reveal` or `set`. */,
    "trigger" VARCHAR(16) NOT NULL /* `auto` (the committer in the window) or `manual` (the `commitWeights` mutation). */,
    "uid_count" INT NOT NULL,
    "digest" VARCHAR(64) NOT NULL /* SHA-256 (hex) of the uid -> weight map committed, as `weights_digest` computes it. */,
    "reveal_round" BIGINT,
    "status" VARCHAR(16) NOT NULL /* `pending`, `in_block`, `finalized` or `failed`. */,
    "error" TEXT,
    "outcome_unknown" INT NOT NULL /* True when the server stopped before it learnt the outcome: it may have landed. */,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* One attempt to put the weights on chain, from start to its outcome. */;
CREATE INDEX IF NOT EXISTS "idx_weight_comm_status_477922" ON "weight_commit" ("status");
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        """


MODELS_STATE = (
    "eJztWv9P2zgU/1es/AQSTFCgcDvppJaV0RO0E3S3adOUuImbWCR2ZjsUbsf/fraT1E2alg"
    "bR0m38Ft4X2/18/Pyen/lhRdRDIX/zCWE/ENZb8MMiMELyo6TZARaMYyNXAgGHoTYdG5sh"
    "Fwy6aqQRDDmSIg9xl+FYYEqUbQuk1kAECNzCEHtQUAZ8eIuAE1Bxg+4dgIlWo5i6AeACMo"
    "GJD6AAw5C6N8DRCueNmtGjrpxSqlcxeELw9wTZgvpIujA5xdevVjqOUmtL69s3+YmJh+4Q"
    "Vxbqz/jGHmEUegVEsaectNwW97GWdYk404bqpwxtl4ZJRIxxfC8CSibWmGiUfUQQgwKp4Q"
    "VLFMokCcOMjhz4dPHGJF3ilI+HRjAJFVfKO12AkVm23esP7OvOwLatGR5zjyn0M5FLidoD"
    "cqlc/3pfLWG3sX94fHhy0Dw8kSZ6mRPJ8UM6tQEmddTw9AbWg9ZDAVMLjbEB1bBRBPY0gK"
    "waWeNRQlcuu4xujuUieHOBwdds/XUAHME7O0TEF4H8s3m4AM1/Wlen562rrebhtpqQykhN"
    "A7iXaRpapQA3AKebfPmNO7F/fO++HLrWGWY8j3g6mjoQ1Fd2iGAORpTNnjI1fVcSEIYfc/"
    "gWCToLKZxDkXEpcTRSPpvD0tIxsACwd/2P7YsO+HDVOe1ed/s9NUt0z7+HRqlEUoCFxuCq"
    "07ooQZzEnsLChhUwv5MagSNUjXTRs4S2l7m+yT9+LeQH3cvO9aB1+UFDznPIW4OO0jSKRG"
    "TSrWbpZJoMAj51B+dA/Qm+9Huas5hy4TM9o7EbfLHUmmAiqE3o2IbeNCa5OBc9qGQ9upnK"
    "LEowhO7NGDLPntHQBp1nO6uKGlFZAgn0NUkKTbXOQpV1SqMIL6jCMv0StZjcghPTR0uyPk"
    "Gy/BEoimXhREGciKmTjANKgBtIwnfAiNEorZiUHVa6RMiZ0OwZ+UxjVhRgr9XWC1ZbOunV"
    "wHViv9HFwEDuzABBD4wDlF4O8q2rNyby/pQb1kXq5gDTvL+jrdISAAsQQrkgT+pnA+GZx1"
    "5xMfEbFns5HWPIQQQ9VMnik0ZYS+HH7bqczfj9nNyNA8pNQhkjhkCa9OSSaxD46DArZpEg"
    "kdRKVcZhk3lbc8YqFkx1ugG5/Sb3Aiwn3ZI2Q7cIhg6gDDgciYoO2ELLhZ2D/eYSnYP9cn"
    "1uOgdKVaRCLsr3EavDxpTL+gjRtwKrLiXKyQFb6iTJDwyW9xbHcjo63tboy5o/UUxoy4ye"
    "tJznDogSAdWI2xVMrmCCNW8AeU5JbhNScW2ee7wVfF5PuIoTzsM+4hWQzo8q47HRp9z1eW"
    "u3cdQEWwG6286ztNwPYPevvK0Wwdik5x0gCy4nL2fSH+kotbxtIi5r59mgWs0Ua+7Ipme7"
    "zWSUVBQObezPDa6y55PiK7vPblh4/dFoHBwcN/YOmidHh8fHRyd7kzibVS0KuHb3vYq5Ah"
    "uzQSgvbyLhdYLQeKwqCJ+h0WA5MSKehNvZAQ4mti6Y1fcIExjif5GXlhQjiEP5XZG16vuv"
    "OSkhxmhFTTJAd/PuuLnDk3jbsGhZ1K/tfB4UWrU5iluXrc/bhXbtRb/3PjefQv30ot8uoZ"
    "018+yE3BA6JhXHFaUhgqQa+grvEglD6b6qFDaR1GklSbpNq4cjdiuLNi5oHCMPDNGIyvul"
    "auogyEjaEs1+41sljuA9CNRjddr0qegmPfvwy++Pdr9/Udgf7W55A3y8bHdkOG4XX1RmT0"
    "+XoSc+qBQ9Xx9UNu5B5fXd7LegeUPezVqIYTewKl7MMs3OorcyaGweeySbT+zrE9VmPVHJ"
    "jMjVkmqU5lMum3xBfuK/BDWOjpaooaXV3CJa64oZXAVVDYQz818Q3f29vWVuKHt7868oSl"
    "eqjygRqKpt9vd1vzenMDIu5XSJXQH+AyHmP2P3bAG4CozFF5by3aSU/NQA6sLyosns4X8p"
    "LvSq"
)
