"""The compiled search engine: regularized evolution over postfix programs.

Start at ``evolve`` (the generation loop); it uses ``moves`` and ``trees``
(tree edits on postfix arrays), ``rules`` (the structural knowledge) and the
scoring kernels of ``hypo.kernels``.  ``spec`` turns a search space and a
knowledge prior into the arrays these read.  ``search.evolution`` is the
Python kernel (``init``/``step``) that drives it.
"""
