"""The ``jepa-wm`` command line: one thin module per verb (see ``main.VERBS``)."""
