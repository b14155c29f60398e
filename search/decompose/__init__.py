"""Dividing a hard problem: tests on a smooth model of the data for
symmetries (``symmetry``), and sub-problems with fewer inputs solved by the
ordinary fit whose laws come back as candidate laws (``recursion``)."""
