environment                = "production"
aws_account_id             = "222222222222"
region                     = "eu-central-1"
domain_name                = "tickets.example.org"
alb_origin_domain_name     = "origin.tickets.example.org"
alb_certificate_arn        = "arn:aws:acm:eu-central-1:222222222222:certificate/replace-me-production-alb"
cloudfront_certificate_arn = "arn:aws:acm:us-east-1:222222222222:certificate/replace-me-production-cf"
mail_from                  = "TicketSlave <no-reply@tickets.example.org>"
google_client_id           = "replace-me.apps.googleusercontent.com"

# Images are pushed once to staging's registry, which replicates them to production's.
ecr_accept_replication_from_account_ids = ["111111111111"]

single_nat_gateway        = false
rds_instance_class        = "db.m7g.large"
rds_max_connections       = 800
rds_multi_az              = true
rds_backup_retention_days = 14
msk_broker_instance_type  = "kafka.m7g.large"
msk_broker_volume_gb      = 100
deletion_protection       = true
log_retention_days        = 90

# Baseline counts; raise min_count ahead of a big on-sale (docs/operations.md).
service_sizing = {
  feed     = { cpu = 512, memory = 1024, min_count = 2, max_count = 20, db_pool = 4 }
  buffer   = { cpu = 512, memory = 1024, min_count = 2, max_count = 20, db_pool = 4 }
  queue    = { cpu = 1024, memory = 2048, min_count = 2, max_count = 60, db_pool = 2 }
  purchase = { cpu = 512, memory = 1024, min_count = 2, max_count = 30, db_pool = 6 }
  payment  = { cpu = 512, memory = 1024, min_count = 2, max_count = 10, db_pool = 2 }
}
