"""A subnet's `get_neurons_lite` answer as neurons, reusing those an earlier answer encoded alike.

From one block to the next most neurons of a subnet do not change: stake moves for a few,
weights are set by some, scores change only when the epoch runs. Their SCALE encoding then is
the same bytes, and SCALE is self-delimiting: bytes that equal an earlier neuron's encoding at
the same place decode to that same neuron. So each neuron's bytes are kept beside the neuron
made of them (per subnet, from the last answer decoded), and a neuron whose bytes are found
again is taken as it is, without a decode. A cold metagraph (the follower's every block, each
point of a `history` series) then costs a byte comparison per unchanged neuron instead of a
decode and a model each (tens of microseconds); the neurons are immutable, so blocks share them
in the caches too.
"""

from __future__ import annotations

from ..models import Neuron
from ..scale import Codec, ScaleError, decode_compact
from .decode import neuron_from_scale, neurons_from_scale

#: One neuron's encoding and the neuron decoded from it.
Encoded = tuple[bytes, Neuron]


class NeuronReuse:
    """Decodes `get_neurons_lite` answers; keeps each subnet's last answer's neurons by uid
    position. Safe to call from several threads at once: an answer replaces the kept one whole
    (a race keeps one of two recent answers, both of which are right to compare with)."""

    def __init__(self) -> None:
        #: Per subnet: the codec (runtime) that decoded the last answer, and its neurons.
        self._last: dict[int, tuple[Codec, tuple[Encoded, ...]]] = {}

    def neurons(self, netuid: int, codec: Codec, output: int, answer: bytes) -> tuple[Neuron, ...]:
        sequence = codec.type_def(output)["def"].get("sequence")
        if sequence is None:  # not a plain Vec: decode the whole answer as before
            return neurons_from_scale(codec.decoder(output)(answer, 0)[0])
        item = codec.decoder(sequence["type"])
        count, offset = decode_compact(answer, 0)
        codec_and_neurons = self._last.get(netuid)
        # after a runtime upgrade the same bytes may mean another neuron: compare within one
        previous = (
            codec_and_neurons[1]
            if codec_and_neurons is not None and codec_and_neurons[0] is codec
            else ()
        )
        kept: list[Encoded] = []
        for index in range(count):
            if index < len(previous):
                encoded = previous[index]
                if answer.startswith(encoded[0], offset):
                    kept.append(encoded)
                    offset += len(encoded[0])
                    continue
            value, end = item(answer, offset)
            kept.append((answer[offset:end], neuron_from_scale(value)))
            offset = end
        if offset != len(answer):
            raise ScaleError(f"{len(answer) - offset} bytes left after the neurons")
        self._last[netuid] = (codec, tuple(kept))
        return tuple(neuron for _, neuron in kept)
