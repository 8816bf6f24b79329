"""The Zarr trajectory store (diffusion_policy ReplayBuffer layout) and clip datasets."""
