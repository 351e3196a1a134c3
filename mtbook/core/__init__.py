"""The machinery every chapter shares: :mod:`.profiles`, :mod:`.data` (with :mod:`.catalog` and
:mod:`.datasets`: where each dataset comes from and how it is verified; :mod:`.images`: the paired
image sets), :mod:`.records` (storage),
:mod:`.runs` (grids), :mod:`.optim` (the optimizer registry), :mod:`.report`, :mod:`.claims`,
:mod:`.metrics`, :mod:`.hyperband`, :mod:`.sweeps` and :mod:`.sweep_cli` (studies shared by
workers on several machines), :mod:`.ablation` (Table 7's variants as MTAdam switches),
:mod:`.balancers` (the other loss balancers), :mod:`.notebook`, :mod:`.models` and
:mod:`.polynomial` (the Sec. 3 polynomial used by two chapters), :mod:`.dryrun` (the `full`
configurations' dry runs)."""
