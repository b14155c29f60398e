"""The world model's vocabulary: prefix-notation tokens for expression skeletons.

A skeleton is an expression tree written in prefix order with variables
named by *slot* (``x0`` is the dataset's first feature), every fitted
constant as one placeholder ``C``, the exact leaves ``1`` and ``2`` (as in
``1 - v**2/c**2``) and, only as the second argument of ``pow``, one of the
exact exponents the search also uses (``search.space.EXPONENTS``).  This
module maps trees to token ids and back; which token may come next is
``search.world_model.grammar``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hypo.expr import Expr, call, const, num, var
from hypo.operators import OPERATORS
from search.space import EXPONENTS

MAX_VARIABLES = 10
"""Variable slots of the shipped model; datasets with more features are not proposed for."""

LEAF_NUMBERS = (1.0, 2.0)
"""Exact numbers a leaf may be (``search.space.SearchSpace.random_leaf`` uses the same)."""

CONSTANT = "C"


@dataclass(frozen=True)
class Vocabulary:
    """Token names and their kinds, for ``max_variables`` variable slots.

    Token ids are positions in :attr:`names`: operators first (in
    ``hypo.operators`` order), then variable slots, the constant
    placeholder, leaf numbers and exponents.
    """

    max_variables: int = MAX_VARIABLES
    operators: tuple[str, ...] = tuple(OPERATORS)
    leaf_numbers: tuple[float, ...] = LEAF_NUMBERS
    exponents: tuple[float, ...] = EXPONENTS

    @property
    def names(self) -> tuple[str, ...]:
        return (self.operators + tuple(f"x{i}" for i in range(self.max_variables)) + (CONSTANT,)
                + tuple(f"{v:g}" for v in self.leaf_numbers) + tuple(f"^{v:g}" for v in self.exponents))

    def __len__(self) -> int:
        return len(self.operators) + self.max_variables + 1 + len(self.leaf_numbers) + len(self.exponents)

    # --- index ranges --------------------------------------------------------
    @property
    def first_variable(self) -> int:
        return len(self.operators)

    @property
    def constant(self) -> int:
        return self.first_variable + self.max_variables

    @property
    def first_number(self) -> int:
        return self.constant + 1

    @property
    def first_exponent(self) -> int:
        return self.first_number + len(self.leaf_numbers)

    def arity(self, token: int) -> int:
        """Children a token takes (0 for every leaf)."""
        return OPERATORS[self.operators[token]].arity if token < len(self.operators) else 0

    def is_variable(self, token: int) -> bool:
        return self.first_variable <= token < self.constant

    def is_exponent(self, token: int) -> bool:
        return token >= self.first_exponent

    def token_of(self, name: str) -> int:
        return self.names.index(name)

    def to_config(self) -> dict:
        return {"max_variables": self.max_variables, "operators": list(self.operators),
                "leaf_numbers": list(self.leaf_numbers), "exponents": list(self.exponents)}

    @classmethod
    def from_config(cls, config: dict) -> "Vocabulary":
        return cls(int(config["max_variables"]), tuple(config["operators"]),
                   tuple(float(v) for v in config["leaf_numbers"]), tuple(float(v) for v in config["exponents"]))

    # --- trees <-> tokens ----------------------------------------------------
    def encode(self, expr: Expr, variable_names: Sequence[str]) -> list[int] | None:
        """Prefix token ids of ``expr``, or ``None`` when the vocabulary cannot
        spell it (an unknown variable, a named constant, a fitted exponent)."""
        slots = {name: i for i, name in enumerate(variable_names)}
        tokens: list[int] = []
        stack: list[tuple[Expr, bool]] = [(expr, False)]
        while stack:
            node, is_exponent = stack.pop()
            if is_exponent:
                if node.op != "num" or node.name is not None or float(node.value) not in self.exponents:
                    return None
                tokens.append(self.first_exponent + self.exponents.index(float(node.value)))
            elif node.op == "var":
                slot = slots.get(node.name)
                if slot is None or slot >= self.max_variables:
                    return None
                tokens.append(self.first_variable + slot)
            elif node.op == "const":
                tokens.append(self.constant)
            elif node.op == "num":
                if node.name is not None or float(node.value) not in self.leaf_numbers:
                    return None
                tokens.append(self.first_number + self.leaf_numbers.index(float(node.value)))
            else:
                if node.op not in self.operators:
                    return None
                tokens.append(self.operators.index(node.op))
                kinds = [False] * len(node.children)
                if node.op == "pow":
                    kinds[1] = True
                stack.extend(reversed(list(zip(node.children, kinds))))
        return tokens

    def decode(self, tokens: Sequence[int], variable_names: Sequence[str]) -> Expr:
        """The tree of complete prefix ``tokens``; constants start at 1."""
        position = 0

        def build() -> Expr:
            nonlocal position
            token = int(tokens[position])
            position += 1
            if token < len(self.operators):
                op = self.operators[token]
                return call(op, *(build() for _ in range(OPERATORS[op].arity)))
            if self.is_variable(token):
                return var(variable_names[token - self.first_variable])
            if token == self.constant:
                return const(1.0)
            if token < self.first_exponent:
                return num(self.leaf_numbers[token - self.first_number])
            return num(self.exponents[token - self.first_exponent])

        expr = build()
        if position != len(tokens):
            raise ValueError(f"tokens continue after a complete tree ({position} of {len(tokens)} used)")
        return expr
