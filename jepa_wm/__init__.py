"""jepa_wm: V-JEPA 2-AC style world models, trained on Zarr trajectory stores.

The core (``jepa_wm.data``, ``jepa_wm.models``, ``jepa_wm.train``) imports neither ROS nor the
planners or the simulator. The composition layer (``jepa_wm.cli``, ``jepa_wm.bench``,
``jepa_wm.app``) wires the core to ``planners``, ``sim`` and ``hardware``.
"""

__version__ = "0.1.0"
