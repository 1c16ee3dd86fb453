#!/bin/sh
# Makes the demo's bundled posters and sample clip (run from assets/demo/ with ffmpeg 5.1):
# abstract pictures from ffmpeg's own generators, one per succeeded demo task.
set -e
p() { ffmpeg -v error -y -f lavfi -i "$2" -frames:v 1 -vf "scale=$3" -q:v 4 "poster-$1.jpg"; }
p 9462ca25-468b-45a5-9e75-6f516dedcc80 "mandelbrot=size=640x360:start_scale=2" 320:180
p d9e576bd-ca14-4c6f-a541-f4734e941dbe "gradients=size=640x360:c0=0x102040:c1=0xff6030:c2=0x2080ff:n=3:seed=4" 320:180
p 93f11baf-347b-4bb4-9520-8653cb46d6a3 "gradients=size=640x360:c0=0xffb040:c1=0x803010:n=2:seed=9" 320:180
p 0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f "cellauto=size=640x360:rule=110:random_seed=5,format=yuv420p" 320:180
p 7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918 "gradients=size=640x360:c0=0x000010:c1=0x2a3550:c2=0x9ab0d0:n=3:seed=12" 320:180
p e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b "sierpinski=size=640x480:seed=2" 320:240
p f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b "gradients=size=840x360:c0=0xffc0d0:c1=0x604080:c2=0xffffff:n=3:seed=1" 320:137
# 3 s, 640 x 360, H.264 High profile with B-frames, index first.
ffmpeg -v error -y -f lavfi -i "gradients=size=640x360:rate=24:duration=3:c0=0x102040:c1=0xff6030:c2=0x2080ff:n=3:seed=4:speed=0.05" \
  -pix_fmt yuv420p -c:v libx264 -profile:v high -bf 3 -crf 30 -movflags +faststart sample.mp4
