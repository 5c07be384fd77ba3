package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procSample is a process's CPU time and memory at one moment, read from
// /proc. Linux reports utime and stime in clock ticks of USER_HZ, which is
// 100 on every architecture Go supports.
type procSample struct {
	At     time.Time
	CPU    time.Duration // user + system
	RSS    int64         // bytes, VmRSS
	HWM    int64         // bytes, VmHWM: the peak RSS so far
	Failed string        // why nothing could be read
}

const userHZ = 100

// sampleProc reads /proc/PID/stat and /proc/PID/status. pid 0 samples
// nothing and reports it in Failed.
func sampleProc(pid int) procSample {
	s := procSample{At: time.Now()}
	if pid <= 0 {
		s.Failed = "no --server-pid"
		return s
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		s.Failed = err.Error()
		return s
	}
	// The command name, in parentheses, may hold spaces; fields after it
	// start with the state, field 3 of proc(5).
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		s.Failed = "unreadable /proc stat"
		return s
	}
	f := strings.Fields(string(stat[end+1:]))
	if len(f) < 13 {
		s.Failed = "short /proc stat"
		return s
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.CPU = time.Duration(utime+stime) * time.Second / userHZ
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		s.Failed = err.Error()
		return s
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.RSS = kb << 10
		case "VmHWM":
			s.HWM = kb << 10
		}
	}
	return s
}

// selfCPU is this process's CPU time, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit raises the soft limit of open files to the hard limit and
// checks that need descriptors fit under it.
func raiseFileLimit(need int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the open-files limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise the open-files limit to %d: %w", lim.Max, err)
		}
	}
	if uint64(need) > lim.Cur {
		return fmt.Errorf("%d clients need about %d open files; the limit is %d (raise the hard limit: ulimit -Hn)", need-100, need, lim.Cur)
	}
	return nil
}
