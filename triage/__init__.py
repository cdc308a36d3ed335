"""Triage: classify fan messages, set priorities, sort fans, and say why.

* :mod:`triage.classifier` - ``load_model()`` and ``Model.classify()``;
* :mod:`triage.priority` - ``score_priority(classification, context)``;
* :mod:`triage.segments` - fan segments and engagement;
* :mod:`triage.train` - ``train()``, also per workspace with corrections;
* :mod:`triage.evaluate` - the measures of the goals table;
* ``python -m triage classify`` - the JSON Lines command-line contract.

This package module imports nothing heavy, so ``python -m triage`` starts fast.
"""
