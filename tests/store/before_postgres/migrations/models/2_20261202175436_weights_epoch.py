from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "weights_epoch" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "start" INT NOT NULL UNIQUE /* First block of the epoch: the key of its weights (`Weight.epoch`). */,
    "netuid" INT NOT NULL,
    "tempo" INT NOT NULL,
    "index" INT NOT NULL,
    "end" INT NOT NULL /* Last block of the epoch (inclusive). */,
    "commit_window_start" INT NOT NULL,
    "commit_window_end" INT NOT NULL,
    "written" INT NOT NULL /* Whether the validator wrote (or cleared) weights in it: its vector is the epoch's own, */,
    "block" INT NOT NULL /* The head at the latest write of the epoch's weights (or commit attempt in it). */,
    "block_hash" VARCHAR(66) NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* An epoch the store holds something of (weights written or cleared, a commit attempt), */;
        ALTER TABLE "weight_commit" ADD "block_hash" VARCHAR(66) /* The hash of `block` (null in rows written before it was kept). */;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "weight_commit" DROP COLUMN "block_hash";
        DROP TABLE IF EXISTS "weights_epoch";"""


MODELS_STATE = (
    "eJztW+tz2jgQ/1c0fDmYoZmEPC83czMkJW1uktBJ6LXTx9gCC6zBSK4lh3C9/O+3km38wC"
    "Y4BUpzfHO0u5L4rfYp5XtlxC3iiJ0PhA5sWTlF3ysMjwh8ZCh1VMGuG4+rAYm7jmYdxzxd"
    "IT3cUzP1sSMIDFlE9DzqSsqZ4m2igBtJm6B77FALS+6hAb4nyLS5HJKJiSjTZOLyno2ExJ"
    "6kbICwRF2H94bI1ARzR61o8R4sCeRVTO4z+s0nhuQDAiIeLPH5cyWYR5E1Z+XrV/ikzCIP"
    "RCgO9ac7NPqUOFYKUWopIT1uyImrxy6ZvNCM6qd0jR53/BGLmd2JtDmbclOmUR4QRjwsiZ"
    "peer5CmfmOE6ojAj7YfMwSbDEhY5E+9h2lKyUdbCAeqxjGTbtj3LU6hlGZ0WMkkUA/HOpx"
    "ps4AbFXoXz9QW3jV2Ds4PjjZPzo4ARa9zenI8WOwdAxMIKjhuelUHjUdSxxwaIxjUGNtpI"
    "E9t7GXj2wskUEXtp1FN8JyHrzRQIxvfPTXAfAIPxgOYQNpw59HB3PQ/Lt5e/62eVs9Oqip"
    "BTlYamDANyGloUkK8Bjg4JAvfnCn/E+f3eehu4TTW7mgnogMnvcT/kB9hT6ECtTn3qyTKS"
    "m7EnuI1RP73rR+LhyOCzQUi2RU1Fcyv6AJzAHsdfv92VULvbttnV/eXbZv1CqjifjmxEQ1"
    "BANUagxuW82rDMS+ayksDJwD82ugSDoi+UinJTNoW6HoTvTxspDvXF637jrN63cachFB3u"
    "y0FKWRVkQ4Wj3KOKbpJOjDZectUn+iT+0brTOXCznw9IoxX+dTRe0J+5IbjI8NbCUxiYaj"
    "oUcVq/vDRGBRA13cG46xZxkzFN7gRbyzpFFjlB3BDA+0khSaap+pJOucj0Z0ThIW0hdIxe"
    "AITlmfzMjajED2I8nIhbyJI9eXCU8mEGeoZ4PC66jv8VGQMCk+qmi+hJXIrI9c0pw5+dc2"
    "2fqJyZYOeiVwnfKvKhdYhrOrdOBk2gRbaGyToDaIjq4+mMT6Aw5sj6jCAQdxv665ghSASu"
    "Rg2JAF9FlDWPLcK04m9KqGjUVOwlecUKelnpVUh0ayFk3DPlXeZuptm6iq5lH4e3ws0Nij"
    "oB+GugTyN6IUMMYCDYkrawXK/aHp5ufyR4vk8tmQmcjljzY+l1+KVucm5JG5KdxH2CK5Vv"
    "qsGdaS2AujrM5m5H5N3Y1tLuKEYUzAeoKkBrZcQoFPTrNiLTIi/VKpSCywyXpbc0aSTojL"
    "xKaIf5NbPRUzOJKGR+4JdkzEPWQKInManHM55waTvUWCyV5xMNmbCSawqcGAeGW0kRBZn0"
    "J01VcpqxIlBNFceZLIYXhR63gMy/FxTaMPNZ2vNKE5Q/UE5Zow0ciXWM2YkzusYoE1HwDw"
    "U6Bbn+W0RQrdW0pm6+FyPJxFB0TkQFpsVbHERnu5u7fNV43DI1S1yUMtitJwHtCrP6O26Q"
    "i7cXiuI0i4zCidCX6kqciuL4mAXHrWqFazxJob7oFvNzywkpzE4YwOCo0rK/ks+1pPKVbW"
    "vH5vNPb3jxu7+0cnhwfHx4cnu1M7myXNM7izyzfK5lLamDVCKM6lL8oYYSyxKiNcxr2H6R"
    "JmAdxmHZmUGUHNCt99yrBD/yFWkFL0MXXgOydqlZdfc1AinsdzcpIOeSiqcSOBDW5cLKUf"
    "3/rYSbXiIxSr182PtVQ7/qp98yZiT6B+ftU+y6AdNmsNnw0ZH7Mcd8W5QzDLhz5HOqOELo"
    "ivKoRNR8o0kEDdcStPEO8ekjYhuesSK9HkgZ/ssaDlHf7GUzU8whNkq7cIQVMvp6G09OkX"
    "Px9n7fZV6nycXWYPwPvrsxaYYy19YzbrPXseeeaFWVpye2G2cRdm23vR/4WaN+peVLR0K7"
    "PwXjSk15++F010RRd4qcYSTWBwwuB7bQ67RgIcrrTVozGoMKrT3mLY6of8p6cctK4uwlIj"
    "6iHX6jMufyWrfGFQ1+jOgrplRcEP66prJB012CnMDh8YRJgYE08g3IVIosiMABvjoSS4Y1"
    "gAygqmr6m+MDUpA3jVvQdyPZ/pSUXQehXbS9sNvLTVF40lcJ3yL6c9swpsC/v9p/pzSCZq"
    "lOqOf2A3VTPwFTvB686chtxyptxeJ/wCtpLoYYO/5CXgnPJv0cxBU/+MMh484t+imYMmyW"
    "v/FV/V/0DLb10d4Cucf0lbpazn+ILekxy/vKjQirURXrwFNzNG2ZhaIL3J2vpp5z6NVTkr"
    "yJXdopz3vCQoJEp27BJSG96p+2Dr6iPzn0Bjj0uCqnH1VJumc1DtUHmqM7x70lPMVMTu5j"
    "eB+JjNlm+rWeYLgyJe0K4zQaqgm+ygCwXBKRRhMJSt95IvkwrurNbT93vhz0Nx0HJ1YEsQ"
    "kpQpkFRI+i1RGyjVp5WkdVP0iHCp07/UR6Ib55JX/Fpz218thH7bX11Kf7VJPJrfWQ0p9X"
    "k9VRzzPNVMLVbstlu4Wd3Ce+IJtaUSrj0h8gL9euPwcAHHDlyFnl3T0q5dGVUJhEP2F4ju"
    "3u7uIi9AdneLn4AoWraCZFCk5ETNv+7aN0WF41QkGy5pT6J/kUPFBiWlywiUCoxUjJx5EJ"
    "J9+5EJfmoC9SDkpwazx/8Ae0hxCg=="
)
