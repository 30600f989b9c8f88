from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE INDEX "idx_weight_epoch_2f1dbf" ON "weight" ("epoch");"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP INDEX IF EXISTS "idx_weight_epoch_2f1dbf";"""


MODELS_STATE = (
    "eJztWu1P2zgY/1esfAIJJihQ2E46qWVl9ATtBN1t2jQlbuImFomd2Q6F2/G/n+0kdZOmha"
    "C2Kzu+hefFdn/Pqx/z04qoh0L+5jPCfiCsd+CnRWCE5EeJswMsGMeGrggCDkMtOjYyQy4Y"
    "dNVKIxhyJEke4i7DscCUKNkWSKWBCBC4hSH2oKAM+PAWASeg4gbdOwATzUYxdQPABWQCEx"
    "9AAYYhdW+AoxnOG7WjR125pWSvYvGE4B8JsgX1kVRhcotv36x0HcXWktb37/ITEw/dIa4k"
    "1J/xjT3CKPQKiGJPKWm6Le5jTesScaYF1U8Z2i4Nk4gY4fheBJRMpDHRKPuIIAYFUssLli"
    "iUSRKGmTly4NPDG5H0iFM6HhrBJFS2UtrpAQzNsu1ef2Bfdwa2bc3YMdeYQj8juZQoH5BH"
    "5frX++oIu439w+PDk4Pm4YkU0cecUI4f0q0NMKmihqc3sB40HwqYSmiMDajGGkVgTwPIqp"
    "E1GiV05bHL6OZYLoI3Jxh8jeuvA+AI3tkhIr4I5J/NwwVo/t26Oj1vXW01D7fVhlRGahrA"
    "vYzT0CwFuAE4dfKnO+5E/nHffR66S/Be6wwzngc8HU3lA/WV5RDMwYiy2SRTU3cl8WDMY3"
    "Jv0T5nIYVzLGRUSiYaKZ0XGAILAHvf/9S+6ICPV53T7nW331O7RPf8R2iYiiQJWGgMrjqt"
    "ixLESewpLGxYAfN7yRE4QtVIFzVLaHuZ6pv84/dCftC97FwPWpcfNeQ8h7w16ChOo2iIjL"
    "rVLCWmySLgc3dwDtSf4Gu/p20WUy58pnc0coOvljoTTAS1CR3b0JvGJCfnpAdVq0c3U4VF"
    "EYbQvRlD5tkzHNqg82RnWVEjKlMggb42kkJTnbPQZJ3SKMILmrCM/4RWTLrgRPTRjqxPkO"
    "x+BIpi2TdRECdiKpNxQAlwA2nwHTBiNEobJiWHFS8Rcic0myOXtGZF//XabP3CZksXvRq4"
    "TuRX1QssI9lZA+mZAYIeGAcovRvkrqsdE3l/SId1kbo4wLTu72iptAXAAoRQHsiT/NlAWP"
    "LaK24mNq7XW4p9FzZsuTnGkIMIeqjSis9aYS2NH7fr2mxG72XabhxQbgrKGDEE0qInj1zD"
    "gI8us2IrEiSSWqXKKGyy3dZcsYoNU51hQC6/yaMAy0ld0mboFsHQAZQBhyNRMQBbKLlwcL"
    "DffMLgYL/cn5vBgWIVTSEP5fuI1bHGlMr6DKJvBVZdkyglB2ypTJInDJaPFsdyOzre1ujL"
    "nj9RltCSmXnSdp47IEoEVCtuV1hyBRus2QFknpK2TUjFtXlueivovGa4igznYR/xCkjnR5"
    "XR2Ogsd33e2m0cNcFWgO628yot/QHs/pmP1SIYm/K8A2TD5eTtTPojHcWWt03EZe88G1Sr"
    "2WLNA9k0t9tMRklF49DG/tzgKms+K76y++yGhdfbRuPg4Lixd9A8OTo8Pj462ZvE2SxrUc"
    "C1ux9UzBWsMRuE8vImEl4nCI3GqoJwGXNxJ0bEk3A7O8DBxNYNs/oeYQJD/A/y0pZiBHEo"
    "vyuqVn39NRclxBit6EkG6G7eHTdXeJbdNixaFs1rO18GhVFtjuLWZevLdmFce9HvfcjFp1"
    "A/vei3S2hnwzw7ITeEjklFuqI0RJBUQ1+hXTLCUKqvqoRNKHVGSdLcZtTDEbuVTRsXNI6R"
    "B4ZoROX9Ug11EGQkHYlmv/GdIkfwHgTqrTod+lRMk5a+/NP9o93vXxT8o90tO8Cny3ZHhu"
    "N28UVlNnu6DD3zQaWo+fqgsnEPKq/vZv8LM2/Iu1kLMewGVsWLWcbZWfRWBo3MY49k8w37"
    "+kS1WU9UsiJydaQarfmUyiZfkJ/5H0GNo6Mn9NBSam4TrXnFCq6CqgbCmfhviO7+3t5Tbi"
    "h7e/OvKIpX6o8oEahqbPbXdb83pzEyKuVyiV0B/gUh5i9xerYAXAXG4gtL+W5SKn5qAXVh"
    "+aXF7OE/RHz0Xw=="
)
