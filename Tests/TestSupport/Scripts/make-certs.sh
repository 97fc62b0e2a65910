#!/usr/bin/env bash
# Makes the certificates the foreign-server tests use, with the openssl command line
# (not with anything pbsha contains): DIR/NAME.crt and DIR/NAME.key for
#   no-san     CN only, no subjectAltName at all (and CA:TRUE, as `req -x509` sets it)
#   elsewhere  names pbs1.example.com only, never the address the test connects to
#   expired    valid January 2020 only
#   loopback   names 127.0.0.1, ::1 and localhost: a matching name for the wrong-pin test
#   primary, secondary, pve   PBS- and PVE-like: node name and FQDN only, as a real
#              node reached by IP presents them
#   hooks-ca   a certificate authority (a stand-in for the system's CA store)
#   hooks      signed by hooks-ca for localhost and 127.0.0.1: a webhook service
#   hooks-elsewhere   signed by hooks-ca for hooks.example.com only
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

selfsigned() { # NAME SUBJECT [EXTENSION...]
  local name=$1 subject=$2; shift 2
  local extensions=()
  for extension in "$@"; do extensions+=(-addext "$extension"); done
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$name.key" -out "$name.crt" \
    -subj "$subject" "${extensions[@]}" 2>/dev/null
}

selfsigned no-san "/CN=pbs-nosan"
selfsigned elsewhere "/O=Proxmox Backup Server/CN=pbs1.example.com" "subjectAltName=DNS:pbs1.example.com,DNS:pbs1"
selfsigned loopback "/CN=localhost" "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
selfsigned primary "/O=Proxmox Backup Server/OU=A1B2C3/CN=pbs1.example.com" "subjectAltName=DNS:localhost,DNS:pbs1,DNS:pbs1.example.com" "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE"
selfsigned secondary "/O=Proxmox Backup Server/OU=D4E5F6/CN=pbs2.example.com" "subjectAltName=DNS:localhost,DNS:pbs2,DNS:pbs2.example.com" "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE"
selfsigned pve "/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=pve1.example.com" "subjectAltName=DNS:localhost,DNS:pve1,DNS:pve1.example.com"

# A small CA and two web services it signed, as a webhook behind a public CA looks.
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout hooks-ca.key -out hooks-ca.crt \
  -subj "/CN=pbsha test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
signed() { # NAME SUBJECT SAN
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA hooks-ca.crt -CAkey hooks-ca.key -CAcreateserial -days 825 -sha256 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
signed hooks "/CN=localhost" "DNS:localhost,IP:127.0.0.1"
signed hooks-elsewhere "/CN=hooks.example.com" "DNS:hooks.example.com"

# An expired certificate needs explicit dates, which `openssl req` (3.0) cannot set: sign
# the request with `openssl ca -selfsign`, which can.
mkdir -p ca/new
: > ca/index.txt
echo 01 > ca/serial
cat > ca/ca.cnf <<CNF
[ca]
default_ca = lab
[lab]
dir = $dir/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = anything
[anything]
commonName = supplied
CNF
openssl req -new -newkey rsa:2048 -nodes -keyout expired.key -out ca/expired.csr -subj "/CN=pbs-expired" 2>/dev/null
openssl ca -batch -config ca/ca.cnf -selfsign -keyfile expired.key -in ca/expired.csr -out expired.crt \
  -startdate 20200101000000Z -enddate 20200201000000Z -notext 2>/dev/null

for name in no-san elsewhere expired loopback primary secondary pve; do
  openssl x509 -in "$name.crt" -noout -fingerprint -sha256 | sed 's/^.*=//' > "$name.sha256"
done
