"""jepa_wm: V-JEPA 2-AC style world models, trained on Zarr trajectory stores.

The core (``jepa_wm.data``, ``jepa_wm.models``, ``jepa_wm.train``) imports neither ROS nor the
planners or the simulator. The composition layer (``jepa_wm.cli``, ``jepa_wm.bench``,
``jepa_wm.app``) wires the core to ``planners``, ``sim`` and ``hardware``.

Configs: ``jepa_wm.config_loader`` is the one loader of typed configs (a frozen dataclass from a
mapping; unknown keys refused, types checked, the file and key named), a leaf module every layer
may import (``planners.registry`` and ``hardware.limits`` use it too); ``jepa_wm.config`` reads
YAML into it. ``configs/policy/<env>.yaml`` holds the one tuned policy of each task
(``jepa_wm.app.policy_files``), ``configs/*.yaml`` the training configs.
"""

__version__ = "0.1.0"
