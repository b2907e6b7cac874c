import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The process that tears a cluster down when rehearse dies without doing it.
extension PostgresCluster {
    // MARK: - Guardian

    /// Starts the cluster's guardian: a small shell process, detached from
    /// rehearse (its own session, not rehearse's child), that blocks reading
    /// a pipe whose only write end rehearse holds. The read returns at end of
    /// file when that end closes, which the kernel does when rehearse exits
    /// however it exits (SIGKILL, a crash, the OOM killer) and which `remove`
    /// does after a clean teardown. The guardian then does the teardown
    /// rehearse could not: unless the directory is gone or marked kept by
    /// this user, it stops the server with `pg_ctl -m immediate` (as the
    /// server user when rehearse is root), kills whatever still runs inside
    /// the directory (a server being started, initdb, pg_ctl, backends:
    /// every server tool runs there), and removes the directory; with
    /// --keep it marks the stopped cluster kept instead, as an interrupted
    /// --keep run does. It ignores SIGINT, SIGTERM and SIGHUP: a Ctrl-C or a
    /// closed terminal that ends rehearse must not end its guardian too.
    package func startGuardian(keep: Bool) throws {
        var fds: [Int32] = [-1, -1]
        guard Self.pipeCloseOnExec(&fds) == 0 else {
            throw RehearseError.environment("Cannot create the pipe that lets the scratch cluster's guardian see rehearse exit: \(String(cString: strerror(errno))).")
        }
        // The read end moves above 9 so the spawn's dup2 to descriptor 3 is
        // a real one, which clears CLOEXEC in the guardian only.
        let readEnd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)
        close(fds[0])
        defer { if readEnd >= 0 { close(readEnd) } }
        guard readEnd >= 0 else {
            close(fds[1])
            throw RehearseError.environment("Cannot set up the scratch cluster's guardian: \(String(cString: strerror(errno))).")
        }
        let runuser = runAs == nil ? "" : Self.runuserPath ?? ""
        let kept = "pid=0 start=? kept=1\n"
        do {
            try ChildProcess.spawnDetached(script: Self.guardianScript,
                                           arguments: [directory.path, bindir.path, runuser, runAs ?? "", keep ? "1" : "0", kept],
                                           stdin: readEnd, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"])
        } catch {
            close(fds[1])
            throw error
        }
        guardianPipe = fds[1]
    }

    /// Closes the guardian's pipe without tearing anything down, exactly as
    /// this process's death would: lets a test watch the guardian work
    /// without killing the test process.
    package func abandonToGuardian() {
        lock.lock()
        defer { lock.unlock() }
        if guardianPipe >= 0 {
            close(guardianPipe)
            guardianPipe = -1
        }
    }

    /// pipe2(2) with O_CLOEXEC: both ends are close-on-exec from the start.
    /// pipe() and then fcntl would leave a moment in which a server tool
    /// started by another thread inherits the write end, and a postmaster
    /// holding it would keep the guardian waiting forever. Glibc's pipe2 is
    /// not in Swift's Glibc module, so it is looked up by name.
    /// Where there is no pipe2 (not Linux), pipe and then fcntl, racy as said.
    package static func pipeCloseOnExec(_ fds: UnsafeMutablePointer<Int32>) -> Int32 {
        #if os(Linux)
        typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") {
            return unsafeBitCast(symbol, to: Pipe2.self)(fds, O_CLOEXEC)
        }
        #endif
        guard pipe(fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    package static var runuserPath: String? {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The guardian's program (POSIX sh). Arguments: the cluster directory,
    /// the server binaries' directory, runuser's path and the server user
    /// (both empty when rehearse is not root), 1 to keep the cluster, and
    /// the owner line that marks a kept one. Its `inside` lists the
    /// processes working in the cluster directory from `/proc` (Linux): where
    /// there is no `/proc` it finds none, so only `pg_ctl stop` ends the
    /// server before the directory goes.
    package static let guardianScript = #"""
        trap '' INT TERM HUP QUIT PIPE
        cd / || exit 1
        while read -r _; do :; done
        dir=$1 bindir=$2 runuser=$3 runas=$4 keep=$5 keptline=$6
        [ -d "$dir" ] && [ ! -h "$dir" ] || exit 0
        owner=$dir/rehearse-owner
        if [ -f "$owner" ] && [ ! -h "$owner" ] && [ -O "$owner" ] && grep -q 'kept=1' "$owner"; then exit 0; fi
        data=$dir/data
        tab=$(printf '\t')
        if [ -f "$data/postmaster.pid" ]; then
          if [ -n "$runas" ]; then
            "$runuser" -u "$runas" -- "$bindir/pg_ctl" -D "$data" -m immediate -w -t 10 -s stop
          else
            "$bindir/pg_ctl" -D "$data" -m immediate -w -t 10 -s stop
          fi >/dev/null 2>&1
        fi
        inside() {
          find /proc -mindepth 2 -maxdepth 2 -name cwd -printf '%h\t%l\n' 2>/dev/null |
          while IFS= read -r line; do
            pid=${line%%"$tab"*}; pid=${pid#/proc/}; cwd=${line#*"$tab"}
            case $cwd in
              "$dir"|"$dir"/*|"$dir (deleted)") echo "$pid" ;;
            esac
          done
        }
        sweep() {
          n=0
          while [ $n -lt 50 ]; do
            pids=$(inside)
            [ -n "$pids" ] || return 0
            kill -KILL $pids 2>/dev/null
            sleep 0.1
            n=$((n + 1))
          done
        }
        sweep
        if [ "$keep" = 1 ]; then
          # The server user can write in the directory: no following a
          # planted symlink (noclobber opens with O_EXCL; mv -T renames).
          rm -f "$owner.guardian"
          (set -C; printf '%s' "$keptline" > "$owner.guardian") && mv -fT "$owner.guardian" "$owner"
          exit 0
        fi
        rm -rf "$dir"
        sweep
        rm -rf "$dir"
        """#
}
