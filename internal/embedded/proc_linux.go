//go:build linux

package embedded

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group, so that Close can
// signal everything it started, and asks the kernel to kill it when the
// parent dies, so that a crashed or killed test binary never leaks it.
//
// Pdeathsig fires when the forking OS thread exits; the Go runtime keeps its
// threads for the life of the process unless a goroutine exits while locked
// to its thread, which this package never does.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
