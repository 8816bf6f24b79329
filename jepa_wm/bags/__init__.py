"""ROS 2 bags <-> trajectory stores, without a ROS install (rosbags + mcap).

- ``source``: open rosbag2 directories/.mcap/.db3 (and unclosed mcap files) and stream raw CDR;
- ``scan`` -> ``plan`` -> ``convert``: the two-pass, streaming ``jepa-wm bag2zarr`` pipeline
  (topic checks, time sync with ``sync`` kernels, episodes, store writing);
- ``recorder``: the crash-tolerant writer behind ``recorder_node`` / ``jepa-wm record``;
- ``synth``: synthetic bags with known contents, for tests and the benchmark.
"""
