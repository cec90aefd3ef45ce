#!/usr/bin/env bash
# Builds every service image and pushes it to ECR, tagged with the git sha and "latest".
#   AWS_REGION=eu-central-1 ./push_to_ecr.sh [service ...]
# Needs: docker (buildx), aws CLI with credentials, a clean work tree (the tag must name the code).
# Prints no secret: the ECR password goes from aws straight into docker's stdin.
set -euo pipefail

ALL_SERVICES=(feed buffer queue purchase payment)
SERVICES=("${ALL_SERVICES[@]}")
# Each service's HTTP port (the image's PORT and EXPOSE), as in docker-compose.yml and Terraform.
# A case, not an associative array: macOS still ships bash 3.2.
port_of() {
  case "$1" in
    feed) echo 8081 ;; buffer) echo 8082 ;; queue) echo 8083 ;; purchase) echo 8084 ;; payment) echo 8085 ;;
    *) return 1 ;;
  esac
}
if [ "$#" -gt 0 ]; then SERVICES=("$@"); fi
for svc in "${SERVICES[@]}"; do
  if ! port_of "$svc" >/dev/null; then
    echo "push_to_ecr: unknown service ${svc} (one of: ${ALL_SERVICES[*]})" >&2
    exit 2
  fi
done

cd "$(dirname "${BASH_SOURCE[0]}")"

: "${AWS_REGION:?set AWS_REGION}"
REPO_PREFIX="${ECR_REPO_PREFIX:-ticketslave}"
PLATFORM="${DOCKER_PLATFORM:-linux/amd64}"

if [ -n "$(git status --porcelain)" ] && [ "${ALLOW_DIRTY:-0}" != "1" ]; then
  echo "push_to_ecr: the work tree has uncommitted changes; commit them (or ALLOW_DIRTY=1)" >&2
  exit 1
fi
TAG="$(git rev-parse --short=12 HEAD)"

ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)"
REGISTRY="${ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com"

echo "push_to_ecr: logging in to ${REGISTRY}"
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY" >/dev/null

for svc in "${SERVICES[@]}"; do
  port="$(port_of "$svc")"
  image="${REGISTRY}/${REPO_PREFIX}/${svc}"
  echo "push_to_ecr: ${svc} -> ${image}:${TAG}"
  docker buildx build \
    --platform "$PLATFORM" \
    --file Dockerfile \
    --build-arg "SERVICE=${svc}" \
    --build-arg "PORT=${port}" \
    --label "org.opencontainers.image.revision=$(git rev-parse HEAD)" \
    --label "org.opencontainers.image.source=ticketslave" \
    --tag "${image}:${TAG}" \
    --tag "${image}:latest" \
    --push \
    .
done

echo "push_to_ecr: pushed ${#SERVICES[@]} image(s) with tag ${TAG}"
