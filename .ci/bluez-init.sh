#!/bin/busybox sh
# /init of the throwaway BlueZ VM (.ci/bluez): load the modules, mount the host's root
# read-only over virtio-9p with tmpfs on the writable places, mount the results share, chroot
# and run the guest script, then power off.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do
    insmod "$m" || echo "init: insmod $m failed"
done
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
script="$(arg sg.script)"
out="$(arg sg.out)"
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" hostroot /newroot || echo "init: cannot mount the host root"
for d in tmp run var/lib var/tmp; do
    mount -t tmpfs tmpfs "/newroot/$d"
done
mkdir -p "/newroot$out"
mount -t 9p -o "$opts" results "/newroot$out" || echo "init: cannot mount the results share"
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
echo "init: running $script"
chroot /newroot /bin/bash "$script" "$(cat /proc/cmdline)"
echo $? >"/newroot$out/guest.rc"
sync
echo o >/proc/sysrq-trigger
sleep 10
