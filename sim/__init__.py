"""pybullet worlds: Franka Panda tabletop tasks and a Husky mobile base, with scripted experts."""
