//go:build !unix

package nxproxy

import "syscall"

// sysProcAttr: nothing special outside Unix (python-x2go's Windows branch is
// out of scope).
func sysProcAttr() *syscall.SysProcAttr { return nil }
