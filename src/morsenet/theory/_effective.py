"""THEORY.md 3.2 effective widths and 3.3 classifier: pure functions of integer sequences."""

from __future__ import annotations

from ._architectures import (
    NeuralODEArchitecture,
    ResNetArchitecture,
    activation_info,
)


def _ffnn_layer(seq: list[int], n_in: int, n_out: int, rank: int | None) -> bool:
    """Append an FFNN layer n_in -> n_out of the given rank to `seq`; True when a virtual layer was inserted."""
    full = min(n_in, n_out)
    r = full if rank is None else rank
    if r < full:
        seq.append(r)
        seq.append(n_out)
        return True
    seq.append(n_out)
    return False


def effective_widths_mlp(widths: tuple[int, ...], ranks: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """Effective width sequence of an FFNN (THEORY.md 3.2); a rank-0 read-out ends the sequence with 0."""
    seq = [widths[0]]
    last = len(widths) - 1
    for l in range(1, last + 1):
        r = None if ranks is None else ranks[l - 1]
        if l == last and r == 0:
            seq.append(0)  # zero read-out: [..., n_L, 0] as in test vector 21
        else:
            _ffnn_layer(seq, widths[l - 1], widths[l], r)
    return tuple(seq)


def effective_widths_node(arch: NeuralODEArchitecture) -> tuple[int, ...]:
    n, m = arch.input_dim, arch.dim
    r = min(m, n) if arch.rank_lift is None else arch.rank_lift
    seq = [n] + ([r] if r < min(m, n) else []) + [m, m] + [1 if arch.readout_nonzero else 0]
    return tuple(seq)


def _resnet_blocks(arch: ResNetArchitecture) -> tuple[tuple[int, ...], dict[str, int]]:
    """Effective widths of a ResNet plus how many blocks fell under each rule (R1 diffeo, R2 MLP, R3 augmentation)."""
    lip = activation_info(arch.activation).lipschitz
    d = arch.width
    seq = [arch.input_dim]
    if arch.input_layer:
        _ffnn_layer(seq, arch.input_dim, d, arch.input_rank)
    counts = {"R1": 0, "R2": 0, "R3": 0, "zero": 0}
    eps, delta = arch.skip, arch.residual
    for k in range(arch.blocks):
        rank = None if arch.block_ranks is None else arch.block_ranks[k]
        bound = None if not isinstance(arch.weight_bound, tuple) else arch.weight_bound[k]
        if rank == 0:
            bound = 0.0  # W_k = 0: the block is affine
        if eps == 0:
            if delta == 0:
                seq.append(0)  # the block outputs 0: Phi constant
                counts["zero"] += 1
            else:
                _ffnn_layer(seq, d, d, rank)
                counts["R2"] += 1
        elif delta == 0 or (bound is not None and abs(delta) * lip * bound < abs(eps)):
            seq.append(d)
            counts["R1"] += 1
        else:
            seq += [2 * d, d]
            counts["R3"] += 1
    seq.append(1 if arch.readout_nonzero else 0)
    return tuple(seq), counts


def classify(seq: tuple[int, ...] | list[int]) -> str:
    """THEORY.md 3.3 on an effective width sequence (seq[0] = n0, last entry 1 or 0)."""
    seq = list(seq)
    if 0 in seq:
        return "constant"
    n0 = seq[0]
    p = next((i for i in range(1, len(seq)) if seq[i] > seq[i - 1]), None)
    if p is None:
        return "none"
    if min(seq[:p]) < n0:
        return "degenerate_forced"
    for j in range(p, len(seq)):
        if seq[j] < n0 and any(seq[k] > seq[j] for k in range(j + 1, len(seq))):
            return "degenerate_mixed"
    return "morse_generic"


def can_enclose_rule(seq: tuple[int, ...] | list[int]) -> bool:
    """[D] rule: True exactly when a width > n0 appears before any width < n0 (and no width is 0)."""
    if 0 in seq:
        return False
    n0 = seq[0]
    for w in seq[1:]:
        if w > n0:
            return True
        if w < n0:
            return False
    return False
