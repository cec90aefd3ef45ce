#!/usr/bin/env bash
# Deploys one environment:  ./deploy.sh staging|production [--yes] [--tag <git sha>]
#   1. terraform init (remote state in this environment's account, locked)
#   2. checks every service image with that tag is in this account's ECR (pushed by
#      push_to_ecr.sh / release.yml to staging, replicated to production)
#   3. extracts the frontends' built assets from those very images (docker create + cp)
#   4. makes sure the assets bucket exists (targeted apply of module.s3, a no-op once it does)
#      and publishes the assets (hashed files, long cache) BEFORE any task definition changes
#   5. the bootstrap (issue 17.13; deployment/bootstrap.tf): applies its task definition with the
#      new image (refusing when that would also change what it uses, e.g. RDS or MSK), runs it
#      (database roles, Kafka ACLs) and waits for it to stop; a non-zero exit stops the deploy
#      before any service rolls
#   6. plans, asks for confirmation (unless --yes), applies exactly that plan: the new task
#      definitions roll every service once (no forced second roll)
#   7. waits for each service's deployment of the new task definition to reach rolloutState
#      COMPLETED; a FAILED or rolled-back deployment exits 1 with ECS's reason
# DEPLOY_TIMEOUT_SECONDS (default 3600) bounds the wait: a large roll with long draining
# WebSockets (deregistration delay) takes a while. The tag defaults to HEAD's short sha.
set -euo pipefail

usage() { echo "usage: $0 staging|production [--yes] [--tag <sha>]" >&2; exit 2; }

ENVIRONMENT="${1:-}"
case "$ENVIRONMENT" in staging|production) ;; *) usage ;; esac
shift

SERVICES=(feed buffer queue purchase payment)
ASSUME_YES=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TAG=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --yes) ASSUME_YES=1 ;;
    --tag) TAG="${2:?--tag needs a value}"; shift ;;
    *) usage ;;
  esac
  shift
done
if [ -z "$TAG" ]; then TAG="$(git -C "$ROOT" rev-parse --short=12 HEAD)"; fi
REPO_PREFIX="${ECR_REPO_PREFIX:-ticketslave}"
TIMEOUT="${DEPLOY_TIMEOUT_SECONDS:-3600}"
POLL="${DEPLOY_POLL_SECONDS:-15}"

TF_DIR="$ROOT/deployment"
WORK="$(mktemp -d -t "ticketslave-deploy-${ENVIRONMENT}-XXXXXX")"
PLAN="$WORK/plan.tfplan"
trap 'rm -rf "$WORK"' EXIT

fail() { echo "deploy: $*" >&2; exit 1; }
tf() { terraform -chdir="$TF_DIR" "$@"; }
TF_VARS=(-input=false -var-file="environments/${ENVIRONMENT}.tfvars" -var "image_tag=${TAG}")

echo "deploy: ${ENVIRONMENT}, images tagged ${TAG}"
tf init -input=false -reconfigure -backend-config="environments/${ENVIRONMENT}.s3.tfbackend"

AWS_REGION="$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$TF_DIR/environments/${ENVIRONMENT}.tfvars")"
export AWS_REGION
ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)"
REGISTRY="${ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com"

# 2. Every image must be there before anything changes.
for svc in "${SERVICES[@]}"; do
  aws ecr describe-images --repository-name "${REPO_PREFIX}/${svc}" --image-ids "imageTag=${TAG}" \
    --query 'imageDetails[0].imageDigest' --output text >/dev/null \
    || fail "image ${REPO_PREFIX}/${svc}:${TAG} is not in ${REGISTRY}; push it first (./push_to_ecr.sh)"
done

# 3. The frontends as built into the images being deployed (never the local checkout).
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY" >/dev/null
for svc in "${SERVICES[@]}"; do
  image="${REGISTRY}/${REPO_PREFIX}/${svc}:${TAG}"
  docker pull --quiet "$image" >/dev/null
  container="$(docker create "$image")"
  mkdir -p "$WORK/assets/${svc}-service/${svc}-frontend"
  docker cp "${container}:/app/frontend" "$WORK/assets/${svc}-service/${svc}-frontend/dist"
  docker rm "$container" >/dev/null
done

# 4. Assets first: every index.html the new tasks serve must find its hashed files.
tf apply "${TF_VARS[@]}" -auto-approve -target=module.s3
ASSETS_BUCKET="$(tf output -raw assets_bucket)"
echo "deploy: publishing the images' frontend assets to s3://${ASSETS_BUCKET}"
node --import tsx "$ROOT/deployment/scripts/publish-assets.ts" --bucket "$ASSETS_BUCKET" --root "$WORK/assets"

# 5. The bootstrap before any service rolls: the new code may log in as a role or use a topic whose
# grant or ACL is new. Only its own resources may change here, unconfirmed; anything else it uses
# (RDS, MSK, their secrets) goes through a confirmed `terraform apply` first.
BOOT_PLAN="$WORK/bootstrap.tfplan"
tf plan "${TF_VARS[@]}" -target=aws_ecs_task_definition.bootstrap -out="$BOOT_PLAN"
others="$(tf show -no-color "$BOOT_PLAN" | sed -n 's/^  # \(.*\) \(will\|must\) be .*/\1/p' \
  | grep -v -E '^(data\.|module\.[^ ]*\.data\.|aws_[a-z_]+\.bootstrap(_[a-z_]+)?$)' || true)"
[ -z "$others" ] || fail "the bootstrap task depends on pending changes: $(echo "$others" | tr '\n' ' ')- apply them with a confirmed terraform apply (docs/operations.md), then deploy again"
tf apply -input=false "$BOOT_PLAN"
CLUSTER="$(tf output -raw ecs_cluster_name)"
BOOT_TASK_DEF="$(tf output -raw bootstrap_task_definition)"
# The services' subnets and security group (they reach RDS and MSK), from the running feed service.
NETWORK="$(aws ecs describe-services --cluster "$CLUSTER" --services feed \
  --query 'services[0].networkConfiguration' --output json)"
case "$NETWORK" in *awsvpcConfiguration*) ;; *) fail "no feed service in ${CLUSTER} to take the network from; run terraform apply once first (docs/operations.md)" ;; esac
BOOT_TASK="$(aws ecs run-task --cluster "$CLUSTER" --launch-type FARGATE --task-definition "$BOOT_TASK_DEF" \
  --network-configuration "$NETWORK" --started-by deploy.sh --query 'tasks[0].taskArn' --output text)"
case "$BOOT_TASK" in arn:*) ;; *) fail "the bootstrap task ${BOOT_TASK_DEF} did not start: ${BOOT_TASK}" ;; esac
echo "deploy: bootstrap ${BOOT_TASK} (database roles, Kafka ACLs)"
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
  boot="$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$BOOT_TASK" \
    --query 'tasks[0].[lastStatus,containers[0].exitCode,stoppedReason]' --output text)"
  case "$boot" in STOPPED*) break ;; esac
  [ "$(date +%s)" -lt "$deadline" ] || fail "the bootstrap task is still ${boot%%$'\t'*} after ${TIMEOUT} s; nothing rolled"
  sleep "$POLL"
done
IFS=$'\t' read -r _ boot_exit boot_reason <<<"$boot"
[ "$boot_exit" = "0" ] || fail "the bootstrap task exited ${boot_exit} (${boot_reason}); nothing rolled. Its log: /ticketslave/${CLUSTER}/bootstrap"
echo "deploy: bootstrap done"

# 6. One plan, confirmed, applied as planned: the task definitions' new image tag rolls each
# service once.
tf plan "${TF_VARS[@]}" -out="$PLAN"
if [ "$ASSUME_YES" != "1" ]; then
  read -r -p "Apply this plan to ${ENVIRONMENT}? Type the environment name to confirm: " answer
  if [ "$answer" != "$ENVIRONMENT" ]; then
    echo "deploy: not confirmed, nothing applied" >&2
    exit 1
  fi
fi
tf apply -input=false "$PLAN"

# 7. Follow each service's deployment of its new task definition until ECS says how it ended.
# The circuit breaker marks a failed one FAILED and starts a deployment of the previous task
# definition, so "the services are stable" would wrongly read as success.
TASK_DEFS="$(tf output -raw ecs_task_definitions)"
deadline=$(( $(date +%s) + TIMEOUT ))
for svc in "${SERVICES[@]}"; do
  task_def="$(printf '%s\n' "$TASK_DEFS" | sed -n "s/^${svc}=//p")"
  [ -n "$task_def" ] || fail "no task definition for ${svc} in the Terraform outputs"
  while :; do
    state="$(aws ecs describe-services --cluster "$CLUSTER" --services "$svc" \
      --query "services[0].deployments[?taskDefinition=='${task_def}']|[0].[rolloutState,rolloutStateReason]" \
      --output text)"
    case "$state" in
      COMPLETED*) echo "deploy: ${svc} rolled out"; break ;;
      FAILED*) fail "${svc} was rolled back: ${state#FAILED}" ;;
      None*|"") fail "${svc} has no deployment of ${task_def} any more (rolled back)" ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail "${svc} still ${state%%$'\t'*} after ${TIMEOUT} s; check the ECS console"
    fi
    sleep "$POLL"
  done
done

echo "deploy: ${ENVIRONMENT} is running ${TAG} on ${CLUSTER}"
