//go:build unix && !linux

package embedded

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group, so that Close can
// signal everything it started. There is no parent-death signal outside
// Linux; the child lives on if the parent is killed with SIGKILL.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the child's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
