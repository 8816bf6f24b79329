"""ROS 2 nodes of the jepa-wm stack. Each node is a thin file; the logic lives in the libraries
(hardware/, sim/, jepa_wm/app/), which are tested without ROS."""
