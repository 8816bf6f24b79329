"""camera_node: a hardware camera (OpenCV device index, video file or URL) -> Image + CameraInfo.

Publishes /camera/image_raw (rgb8) and /camera/camera_info at ``rate_hz``. Parameters: source
("0", a path or a URL), width/height (0 = native), rate_hz, loop (files), fov_deg (for K).
"""

from __future__ import annotations

from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from jepa_wm_ros.common import param, run_node
from jepa_wm_ros.conversions import camera_info_msg, rgb_to_msg


class CameraNode(Node):
    def __init__(self) -> None:
        super().__init__("camera_node")
        from hardware.camera import Camera

        self.cam = Camera.open(
            param(self, "source", "0"),
            int(param(self, "width", 0)),
            int(param(self, "height", 0)),
            bool(param(self, "loop", False)),
        )
        self.fov = float(param(self, "fov_deg", 60.0))
        self.frame_id = param(self, "frame_id", "camera")
        self.image_pub = self.create_publisher(Image, "/camera/image_raw", 1)
        self.info_pub = self.create_publisher(CameraInfo, "/camera/camera_info", 1)
        self.timer = self.create_timer(1.0 / float(param(self, "rate_hz", 30.0)), self.tick)

    def tick(self) -> None:
        from hardware.camera import CameraError, intrinsics

        try:
            rgb = self.cam.read()
        except CameraError as exc:
            self.get_logger().error(f"{exc}; stopping capture")
            self.timer.cancel()
            return
        now = self.get_clock().now().to_msg()
        h, w = rgb.shape[:2]
        self.image_pub.publish(rgb_to_msg(rgb, now, self.frame_id))
        self.info_pub.publish(camera_info_msg(intrinsics(w, h, self.fov), w, h, now, self.frame_id))

    def destroy_node(self) -> None:
        if getattr(self, "cam", None) is not None:  # a half-built node is destroyed too
            self.cam.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    return run_node(CameraNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
