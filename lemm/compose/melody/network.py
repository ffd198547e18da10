"""The melody transformer: a small decoder-only (GPT-style) network over compound note tokens.

Each step's input is the sum of one embedding per field (:data:`lemm.compose.melody.tokens.FIELDS`)
plus a learned position embedding; pre-norm blocks with causal self-attention; the head
predicts the key-normalised pitch of the step's note. :meth:`MelodyNet.step` runs one step
with a key/value cache (generation cost per note is constant).

Initialisation uses torch's global generator; :func:`build_net` wraps construction in
``torch.random.fork_rng()`` with a fixed seed inside, so building a net neither depends on
nor changes the caller's global torch random state.

Examples
--------
>>> import torch
>>> net = build_net((10, 5), d_model=16, n_layers=1, n_heads=2, d_ff=32, max_len=8, n_out=4, seed=0)
>>> net(torch.zeros(1, 3, 2, dtype=torch.long)).shape
torch.Size([1, 3, 4])
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["MelodyNet", "build_net"]


class _Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, cache: list | None = None) -> torch.Tensor:
        b, t, d = x.shape
        h = self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        if cache is not None:
            if cache:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
            att = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=t > 1)
        else:
            att = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.drop.p if self.training else 0.0)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(b, t, d)))
        return x + self.drop(self.ff(self.ln2(x)))


class MelodyNet(nn.Module):
    """Decoder-only transformer over note steps.

    Parameters
    ----------
    field_sizes : tuple of int
        Embedding table size per input field.
    d_model, n_layers, n_heads, d_ff : int
    max_len : int
        Longest sequence (position embeddings).
    n_out : int
        Output classes (pitches).
    dropout : float
    """

    def __init__(self, field_sizes, *, d_model: int, n_layers: int, n_heads: int, d_ff: int, max_len: int, n_out: int, dropout: float = 0.1):
        super().__init__()
        self.field_sizes = tuple(int(s) for s in field_sizes)
        self.embeds = nn.ModuleList(nn.Embedding(s, d_model) for s in self.field_sizes)
        self.pos = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_out)
        self.drop = nn.Dropout(dropout)
        self.max_len = max_len
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)
        for blk in self.blocks:
            nn.init.normal_(blk.proj.weight, std=0.02 / math.sqrt(2 * n_layers))

    def _embed(self, fields: torch.Tensor, start: int) -> torch.Tensor:
        x = sum(emb(fields[..., i]) for i, emb in enumerate(self.embeds))
        t = fields.shape[1]
        return self.drop(x + self.pos(torch.arange(start, start + t, device=fields.device)))

    def forward(self, fields: torch.Tensor) -> torch.Tensor:
        """Logits [shape=(batch, time, n_out)] for ``fields`` [shape=(batch, time, n_fields)], int64."""
        x = self._embed(fields, 0)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln(x))

    def step(self, fields: torch.Tensor, caches: list[list], start: int) -> torch.Tensor:
        """Logits of the new steps given cached keys/values of the ``start`` earlier steps."""
        x = self._embed(fields, start)
        for blk, cache in zip(self.blocks, caches, strict=True):
            x = blk(x, cache)
        return self.head(self.ln(x))


def build_net(field_sizes, *, d_model: int, n_layers: int, n_heads: int, d_ff: int, max_len: int, n_out: int, dropout: float = 0.1, seed: int = 0) -> MelodyNet:
    """Construct a :class:`MelodyNet` with a seeded initialisation that leaves global torch RNG state unchanged."""
    with torch.random.fork_rng(devices=[]):
        torch.random.manual_seed(seed)  # inside fork_rng: restored on exit
        return MelodyNet(field_sizes, d_model=d_model, n_layers=n_layers, n_heads=n_heads, d_ff=d_ff, max_len=max_len, n_out=n_out, dropout=dropout)
