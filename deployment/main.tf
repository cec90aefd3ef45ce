# TicketSlave on AWS: CloudFront -> ALB -> ECS Fargate (five services), RDS PostgreSQL, MSK,
# S3. One state per environment: terraform init -backend-config=environments/<env>.s3.tfbackend
terraform {
  required_version = ">= 1.10"

  # Partial configuration (bucket, key, region) per environment. use_lockfile = S3-native
  # state locking (Terraform >= 1.10), no DynamoDB table needed.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    kafka = {
      source  = "Mongey/kafka"
      version = "~> 0.8"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "ticketslave"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

module "network" {
  source               = "./modules/network"
  name                 = local.name
  region               = var.region
  cidr_block           = var.vpc_cidr
  az_count             = var.az_count
  single_nat_gateway   = var.single_nat_gateway
  alb_open_to_internet = var.alb_open_to_internet
  kafka_admin_cidrs    = var.kafka_admin_cidrs
  log_retention_days   = var.log_retention_days
}

module "ecr" {
  source      = "./modules/ecr"
  name_prefix = "ticketslave"
  services    = keys(local.service_ports)
}

module "s3" {
  source          = "./modules/s3"
  name            = "${local.name}-${data.aws_caller_identity.current.account_id}"
  allowed_origins = [local.public_base_url]
}

module "rds" {
  source                = "./modules/rds"
  name                  = local.name
  private_subnet_ids    = module.network.private_subnet_ids
  rds_security_group_id = module.network.rds_security_group_id
  instance_class        = var.rds_instance_class
  allocated_storage_gb  = var.rds_allocated_storage_gb
  multi_az              = var.rds_multi_az
  backup_retention_days = var.rds_backup_retention_days
  deletion_protection   = var.deletion_protection
}

module "msk" {
  source                = "./modules/msk"
  name                  = local.name
  kafka_version         = var.kafka_version
  broker_instance_type  = var.msk_broker_instance_type
  broker_volume_gb      = var.msk_broker_volume_gb
  private_subnet_ids    = module.network.private_subnet_ids
  msk_security_group_id = module.network.msk_security_group_id
  log_retention_days    = var.log_retention_days
}

module "elb" {
  source                = "./modules/elb"
  name                  = local.name
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  alb_security_group_id = module.network.alb_security_group_id
  certificate_arn       = var.alb_certificate_arn
  deletion_protection   = var.deletion_protection
  services              = { for k, port in local.service_ports : k => { port = port, priority = local.rule_priorities[k] } }
}

module "ecs" {
  source                     = "./modules/ecs"
  name                       = local.name
  services                   = local.ecs_services
  repository_urls            = module.ecr.repository_urls
  image_tag                  = var.image_tag
  private_subnet_ids         = module.network.private_subnet_ids
  services_security_group_id = module.network.services_security_group_id
  target_group_arns          = module.elb.target_group_arns
  target_group_arn_suffixes  = module.elb.target_group_arn_suffixes
  alb_arn_suffix             = module.elb.alb_arn_suffix
  secrets_kms_key_arns       = [aws_kms_key.secrets.arn, module.rds.kms_key_arn, module.msk.kms_key_arn]
  log_retention_days         = var.log_retention_days
}

module "cloudfront" {
  source                             = "./modules/cloudfront"
  name                               = local.name
  domain_name                        = var.domain_name
  certificate_arn_us_east_1          = var.cloudfront_certificate_arn
  alb_origin_domain_name             = var.alb_origin_domain_name
  services                           = keys(local.service_ports)
  assets_bucket                      = module.s3.assets_bucket
  assets_bucket_arn                  = module.s3.assets_bucket_arn
  assets_bucket_regional_domain_name = module.s3.assets_bucket_regional_domain_name
  images_bucket                      = module.s3.images_bucket
  images_bucket_arn                  = module.s3.images_bucket_arn
  images_bucket_regional_domain_name = module.s3.images_bucket_regional_domain_name
  web_acl_arn                        = var.cloudfront_web_acl_arn
}

# No API Gateway: CloudFront + ALB already give TLS, path routing and WebSockets to the
# services, which keep their own rate limits. API Gateway would add a per-request price at
# on-sale volumes, a 29 s integration timeout and, for WebSockets, a connection-id model the
# queue's ws server does not use; nothing it adds (usage plans, API keys) is needed here.
