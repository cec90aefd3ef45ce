variable "topics" {
  description = "topic name => partition count (DLQs included)"
  type        = map(number)
}

variable "topic_prefix" {
  type    = string
  default = ""
}

variable "replication_factor" {
  type    = number
  default = 3
}

variable "min_insync_replicas" {
  type    = number
  default = 2
}

variable "retention_ms" {
  description = "7 days"
  type        = number
  default     = 604800000
}

variable "dlq_retention_ms" {
  description = "28 days"
  type        = number
  default     = 2419200000
}
