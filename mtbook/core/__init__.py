"""The machinery every chapter shares: :mod:`.profiles`, :mod:`.data`, :mod:`.records` (storage),
:mod:`.runs`, :mod:`.optim`, :mod:`.report`, :mod:`.metrics`, :mod:`.hyperband`, :mod:`.notebook`,
:mod:`.models` and :mod:`.polynomial` (the Sec. 3 polynomial used by two chapters)."""
