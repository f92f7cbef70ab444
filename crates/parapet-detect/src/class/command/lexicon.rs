//! The command names the command-injection detector knows, each with how telling it is.
//!
//! The list is ours: programs an attacker runs once a shell is reached (reconnaissance,
//! download, reverse shells, interpreters, privilege and persistence tools, Windows
//! living-off-the-land binaries), plus the everyday Unix tools used to read files. Names that
//! are also English words (`cat`, `time`, `find`) are marked as such: they count only with
//! stronger evidence around them.

use std::sync::LazyLock;

/// How telling a command name is on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A program that is rarely named in ordinary text and is what injected commands run
    /// (`whoami`, `wget`, `bash`, `powershell`, `certutil`).
    Attack,
    /// An ordinary tool, often also an English word or discussed in technical prose
    /// (`cat`, `ls`, `echo`, `time`, `grep`).
    Common,
}

/// What we know of one command name.
#[derive(Clone, Copy, Debug)]
pub(super) struct Command {
    pub kind: Kind,
    /// The command runs another command given as its argument (`time`, `nohup`, `sudo`).
    pub wrapper: bool,
    /// The command talks to the network: a host name after it is evidence.
    pub net: bool,
    /// An administration tool whose name is no word and no data value (`visudo`,
    /// `ansible-console`): a value that is just its name, or its name and a few plain
    /// arguments, is a command line.
    pub jargon: bool,
}

const A: Command = Command {
    kind: Kind::Attack,
    wrapper: false,
    net: false,
    jargon: false,
};
const AN: Command = Command {
    kind: Kind::Attack,
    wrapper: false,
    net: true,
    jargon: false,
};
const AW: Command = Command {
    kind: Kind::Attack,
    wrapper: true,
    net: false,
    jargon: false,
};
const J: Command = Command {
    kind: Kind::Attack,
    wrapper: false,
    net: false,
    jargon: true,
};
const C: Command = Command {
    kind: Kind::Common,
    wrapper: false,
    net: false,
    jargon: false,
};
const CN: Command = Command {
    kind: Kind::Common,
    wrapper: false,
    net: true,
    jargon: false,
};
const CW: Command = Command {
    kind: Kind::Common,
    wrapper: true,
    net: false,
    jargon: false,
};

/// The names, lowercase.
const COMMANDS: &[(&str, Command)] = &[
    // The SQLite shell's dot commands (`;\n.shell nc …`).
    (".shell", A),
    (".system", A),
    (".databases", A),
    (".import", A),
    // Reconnaissance.
    ("whoami", A),
    ("uname", A),
    ("ifconfig", A),
    ("ipconfig", A),
    ("netstat", A),
    ("hostname", C),
    ("systeminfo", A),
    ("tasklist", A),
    ("lastlog", A),
    ("getent", A),
    ("uptime", C),
    ("id", C),
    ("who", C),
    ("ps", C),
    ("top", C),
    ("htop", A),
    ("env", CW),
    ("printenv", A),
    ("set", C),
    ("last", C),
    ("lsof", A),
    ("pgrep", A),
    ("nproc", A),
    ("lscpu", A),
    ("lsblk", A),
    ("dmesg", A),
    ("ip", C),
    ("arp", C),
    ("route", C),
    ("ss", C),
    ("bridge", C),
    // Network, download, exfiltration.
    ("wget", AN),
    ("curl", CN),
    ("nc", AN),
    ("ncat", AN),
    ("netcat", AN),
    ("socat", AN),
    ("telnet", AN),
    ("tftp", AN),
    ("ftp", CN),
    ("ssh", CN),
    ("scp", CN),
    ("sftp", CN),
    ("rsync", CN),
    ("ping", CN),
    ("nslookup", AN),
    ("dig", CN),
    ("host", CN),
    ("whois", CN),
    ("traceroute", CN),
    ("tracert", CN),
    ("nmap", AN),
    ("tcpdump", A),
    ("lwp-download", AN),
    ("lwp-request", AN),
    ("lwp-mirror", AN),
    ("fetch", CN),
    ("aria2c", AN),
    ("ssh-copy-id", AN),
    ("ssh-keygen", A),
    ("openssl", A),
    ("mshta", AN),
    ("certutil", AN),
    ("bitsadmin", AN),
    // Shells and interpreters.
    ("sh", A),
    ("bash", A),
    ("zsh", A),
    ("ksh", A),
    ("csh", A),
    ("tcsh", A),
    ("dash", C),
    ("ash", C),
    ("fish", C),
    ("busybox", AW),
    ("python", A),
    ("python2", A),
    ("python3", A),
    ("perl", A),
    ("ruby", C),
    ("php", A),
    ("php-cgi", A),
    ("node", C),
    ("nodejs", A),
    ("lua", C),
    ("tclsh", A),
    ("wish", C),
    ("expect", C),
    ("irb", A),
    ("jrunscript", A),
    ("jjs", A),
    ("gdb", A),
    ("vi", C),
    ("vim", C),
    ("ex", C),
    ("ed", C),
    ("awk", C),
    ("gawk", A),
    ("mawk", A),
    ("nawk", A),
    ("sed", C),
    ("xterm", A),
    ("powershell", A),
    ("pwsh", A),
    ("cmd", A),
    ("command", CW),
    ("cscript", A),
    ("wscript", A),
    ("rundll32", A),
    ("regsvr32", A),
    ("wmic", A),
    ("regedit", A),
    ("reg", C),
    ("schtasks", A),
    ("vssadmin", A),
    ("bcdedit", A),
    ("bcdboot", A),
    ("taskkill", A),
    ("icacls", A),
    ("takeown", A),
    ("msiexec", A),
    ("msbuild", A),
    ("installutil", A),
    ("iex", A),
    ("iwr", AN),
    ("irm", AN),
    ("invoke-expression", A),
    ("invoke-webrequest", AN),
    ("invoke-restmethod", AN),
    ("invoke-command", A),
    ("invoke-wmimethod", A),
    ("iwmi", A),
    ("invoke-item", A),
    ("start-process", A),
    ("start-bitstransfer", AN),
    ("new-object", A),
    ("set-executionpolicy", A),
    ("get-wmiobject", A),
    ("gwmi", A),
    // Compilers and build tools that run arbitrary code.
    ("gcc", A),
    ("cc", C),
    ("c89", A),
    ("c99", A),
    ("g++", A),
    ("make", C),
    ("ansible", A),
    ("ansible-playbook", J),
    ("ansible-console", J),
    ("ansible-pull", J),
    ("ansible-vault", J),
    ("ansible-galaxy", J),
    ("ansible-inventory", J),
    ("ansible-config", J),
    ("ansible-doc", J),
    ("chef-client", J),
    ("chef-shell", J),
    ("chef-vault", J),
    ("chef-run", J),
    ("chef-solo", J),
    ("knife", C),
    ("cscli", J),
    ("kubectl", A),
    ("docker", C),
    ("pip", C),
    ("pip3", A),
    ("pipx", J),
    ("npm", C),
    ("gem", C),
    // Files: reading, writing, permissions.
    ("cat", C),
    ("tac", C),
    ("nl", C),
    ("head", C),
    ("tail", C),
    ("more", C),
    ("less", C),
    ("type", C),
    ("strings", C),
    ("od", C),
    ("xxd", A),
    ("hexdump", A),
    ("base64", A),
    ("base32", A),
    ("uudecode", A),
    ("uuencode", A),
    ("rev", C),
    ("cut", C),
    ("sort", C),
    ("uniq", C),
    ("fold", C),
    ("grep", C),
    ("egrep", A),
    ("fgrep", A),
    ("zgrep", A),
    ("find", C),
    ("locate", C),
    ("which", C),
    ("whereis", A),
    ("ls", C),
    ("ll", C),
    ("dir", C),
    ("cd", C),
    ("pwd", C),
    ("cp", C),
    ("mv", C),
    ("rm", C),
    ("del", C),
    ("mkdir", C),
    ("rmdir", C),
    ("touch", C),
    ("ln", C),
    ("dd", C),
    ("df", C),
    ("du", C),
    ("tee", C),
    ("tar", C),
    ("zip", C),
    ("unzip", C),
    ("gzip", C),
    ("gunzip", A),
    ("zcat", A),
    ("bzcat", A),
    ("xzcat", A),
    ("zstdcat", A),
    ("unxz", A),
    ("bunzip2", A),
    ("bsdtar", A),
    ("7z", C),
    ("chmod", A),
    ("chown", A),
    ("chgrp", A),
    ("chattr", A),
    ("passwd", A),
    ("useradd", A),
    ("userdel", A),
    ("usermod", A),
    ("adduser", A),
    ("deluser", A),
    ("groupadd", A),
    ("visudo", J),
    ("crontab", A),
    ("mkfifo", A),
    ("mknod", A),
    ("mount", C),
    ("umount", C),
    ("shred", A),
    ("uconv", A),
    ("iconv", C),
    ("rmt", A),
    ("rmt-tar", A),
    ("rmt-dump", A),
    ("copy", C),
    ("xcopy", A),
    ("robocopy", A),
    // Processes, services, the system.
    ("kill", C),
    ("killall", A),
    ("pkill", A),
    ("shutdown", C),
    ("reboot", C),
    ("halt", C),
    ("poweroff", A),
    ("systemctl", A),
    ("service", C),
    ("iptables", A),
    ("sysctl", A),
    ("insmod", A),
    ("modprobe", A),
    ("perf", C),
    ("echo", C),
    ("printf", C),
    ("print", C),
    ("sleep", C),
    ("date", C),
    ("at", C),
    ("alias", C),
    ("export", C),
    ("history", C),
    ("source", C),
    ("eval", C),
    ("exec", CW),
    ("unset", C),
    ("ulimit", A),
    ("su", C),
    ("sudo", AW),
    ("doas", AW),
    ("pkexec", AW),
    ("time", CW),
    ("nohup", AW),
    ("strace", AW),
    ("ltrace", AW),
    ("timeout", CW),
    ("xargs", AW),
    ("nice", C),
    ("setsid", AW),
    ("stdbuf", AW),
    ("chroot", AW),
    ("watch", C),
    ("cpulimit", AW),
    ("flock", CW),
    ("java", C),
    ("javac", A),
    ("man", C),
    ("diff", C),
    ("wc", C),
    // More file readers (`cd etc;column passwd`).
    ("column", C),
    ("comm", C),
    ("paste", C),
    // Package managers and system administration.
    ("apt", C),
    ("apt-get", A),
    ("aptitude", A),
    ("dpkg", A),
    ("yum", A),
    ("dnf", A),
    ("rpm", C),
    ("aa-disable", A),
    ("aa-complain", A),
    ("aa-enforce", A),
    ("aa-teardown", A),
    ("lastlogin", A),
    ("trap", C),
];

static SORTED: LazyLock<Vec<(&'static [u8], Command)>> = LazyLock::new(|| {
    let mut v: Vec<(&'static [u8], Command)> =
        COMMANDS.iter().map(|(n, c)| (n.as_bytes(), *c)).collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
});

/// Slots in [`TABLE`]: a power of two, about three times the number of names, so that a
/// probe for a name that is not there mostly lands on an empty slot at once.
const SLOTS: usize = 1024;

/// A cheap hash of a name: its length and its first, second and last bytes.
fn hash(name: &[u8]) -> usize {
    let first = name.first().copied().unwrap_or(0) as u64;
    let second = name.get(1).copied().unwrap_or(0) as u64;
    let last = name.last().copied().unwrap_or(0) as u64;
    let key = (name.len() as u64) | (first << 8) | (second << 16) | (last << 24);
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize & (SLOTS - 1)
}

/// An open-addressed table of indices into [`SORTED`] (plus one; 0 is empty), linear
/// probing: a lookup is a hash and, for most words, one empty slot.
static TABLE: LazyLock<Vec<u16>> = LazyLock::new(|| {
    let mut table = vec![0u16; SLOTS];
    for (k, (name, _)) in SORTED.iter().enumerate() {
        let mut slot = hash(name);
        while table[slot] != 0 {
            slot = (slot + 1) & (SLOTS - 1);
        }
        table[slot] = u16::try_from(k + 1).unwrap_or(u16::MAX);
    }
    table
});

/// A quick no for most words: the lengths names have, per first byte, and the pairs of
/// bytes they start with.
struct Quick {
    lengths: [u64; 256],
    pairs: [u64; 1024],
}

static QUICK: Quick = {
    let mut q = Quick {
        lengths: [0; 256],
        pairs: [0; 1024],
    };
    let mut k = 0;
    while k < COMMANDS.len() {
        let name = COMMANDS[k].0.as_bytes();
        let (first, second) = (name[0] as usize, name[1] as usize);
        let len = if name.len() < 63 { name.len() } else { 63 };
        q.lengths[first] |= 1 << len;
        let pair = first * 256 + second;
        q.pairs[pair / 64] |= 1 << (pair % 64);
        k += 1;
    }
    q
};

/// The command called `name` (lowercase), if we know it.
pub(super) fn lookup(name: &[u8]) -> Option<Command> {
    let [first, second, ..] = *name else {
        return None;
    };
    let (first, second) = (usize::from(first), usize::from(second));
    let pair = first * 256 + second;
    if QUICK.lengths[first] & (1 << name.len().min(63)) == 0
        || QUICK.pairs[pair / 64] & (1 << (pair % 64)) == 0
    {
        return None;
    }
    let table = &*TABLE;
    let sorted = &*SORTED;
    let mut slot = hash(name);
    loop {
        let k = usize::from(*table.get(slot)?);
        let (n, c) = sorted.get(k.checked_sub(1)?)?;
        if *n == name {
            return Some(*c);
        }
        slot = (slot + 1) & (SLOTS - 1);
    }
}

/// The command matching the shell glob `pattern` (`?`, `*`, and `[` … `]` already turned
/// into `?`), if any; the pattern must hold at least one literal letter.
pub(super) fn lookup_glob(pattern: &[u8]) -> Option<Command> {
    if !pattern.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    SORTED
        .iter()
        .find(|(n, _)| n.len() > 1 && glob_match(pattern, n))
        .map(|(_, c)| *c)
}

/// Whether `text` matches the glob `pattern` (`?` one byte, `*` any run). Linear in
/// practice: one backtrack point, as in the classic wildcard matcher.
pub(crate) fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(lookup(b"whoami").map(|c| c.kind), Some(Kind::Attack));
        assert_eq!(lookup(b"cat").map(|c| c.kind), Some(Kind::Common));
        assert!(lookup(b"catalog").is_none());
        assert!(lookup(b"").is_none());
        for (name, command) in COMMANDS {
            let found = lookup(name.as_bytes()).map(|c| (c.kind, c.wrapper, c.net, c.jargon));
            assert_eq!(
                found,
                Some((command.kind, command.wrapper, command.net, command.jargon)),
                "{name}"
            );
        }
        assert!(lookup_glob(b"c?t").is_some());
        assert!(lookup_glob(b"???").is_none());
        assert!(glob_match(b"b*h", b"bash"));
        assert!(!glob_match(b"b*h", b"bas"));
    }
}
