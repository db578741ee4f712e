# Fences Lucid's sandbox network on the engine's host. Runs as root in a short-lived container with
# the host's network and NET_ADMIN (firewall.ts). Every rule is added only when missing, so running
# it again changes nothing; it uses the iptables backend (nft or legacy) that holds Docker's rules.
#   $1  the network's bridge interface      $2  the network's gateway (the host's address on it)
#   then any of  allow:PORT  (sandboxes may reach PORT at the gateway)  and  revoke:PORT
# Sandboxes may then reach, on the host, only the allowed ports at the gateway (INPUT, chain
# LUCID-SANDBOXES); forwarded, they reach neither each other nor 169.254.0.0/16 (DOCKER-USER).
bridge=$1 gateway=$2
shift 2
if ! command -v iptables-nft >/dev/null && ! command -v iptables-legacy >/dev/null; then
  echo "the sandbox image has no iptables: rebuild it with lucid sandbox build" >&2
  exit 4
fi
ipt=
for candidate in iptables-nft iptables-legacy; do
  if "$candidate" -w -n -L DOCKER-USER >/dev/null 2>&1; then
    ipt=$candidate
    break
  fi
done
if [[ -z $ipt ]]; then
  echo "the engine's host has no DOCKER-USER chain: Docker does not manage its firewall there" >&2
  exit 3
fi
set -e
chain=LUCID-SANDBOXES
first() {
  local in=$1
  shift
  "$ipt" -w -C "$in" "$@" 2>/dev/null || "$ipt" -w -I "$in" 1 "$@"
}
last() {
  local in=$1
  shift
  "$ipt" -w -C "$in" "$@" 2>/dev/null || "$ipt" -w -A "$in" "$@"
}
"$ipt" -w -N "$chain" 2>/dev/null || "$ipt" -w -n -L "$chain" >/dev/null
last "$chain" -j REJECT
first "$chain" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
first INPUT -i "$bridge" -j "$chain"
first DOCKER-USER -i "$bridge" -o "$bridge" -j REJECT
first DOCKER-USER -i "$bridge" -d 169.254.0.0/16 -j REJECT
for change in "$@"; do
  rule=(-d "$gateway" -p tcp --dport "${change#*:}" -j ACCEPT)
  case $change in
    allow:*) first "$chain" "${rule[@]}" ;;
    revoke:*) while "$ipt" -w -D "$chain" "${rule[@]}" 2>/dev/null; do :; done ;;
  esac
done
echo "fenced with $ipt"
