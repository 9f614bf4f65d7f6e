# SPDX-License-Identifier: Apache-2.0
# api/: protocols. The pure SigV4 and codec objects are also linked by client/.
add_library(kvauth STATIC api/auth/sigv4.c api/auth/sigv4_chunked.c api/auth/api_cksum.c api/auth/api_session.c
            api/codec/api_jw.c api/codec/api_xw.c)
target_include_directories(kvauth PUBLIC ${KV_INC_SHARED} PRIVATE api)
target_compile_options(kvauth PRIVATE ${KV_WARN})
target_link_libraries(kvauth PUBLIC kvbase PkgConfig::CRYPTO PkgConfig::ZLIB)

add_library(kvapi STATIC api/api_core.c api/api_auth.c api/api_metrics.c api/api_services.c api/api_arn.c api/api_sched.c
            api/codec/api_json_r.c api/codec/api_pattern.c api/codec/api_xml_r.c api/codec/api_multipart.c
            api/ddb/ddb_decode.c api/ddb/ddb_exec.c api/ddb/ddb_encode.c api/ddb/ddb_av.c
            api/ddb/ddb_expr.c api/ddb/ddb_update.c api/ddb/ddb_item_decode.c api/ddb/ddb_legacy.c api/ddb/ddb_reserved.c api/ddb/ddb_tags.c api/ddb/ddb_account.c api/ddb/ddb_backups.c api/ddb/ddb_ttl.c
            api/ddb/ddb_item_check.c api/ddb/ddb_item_write.c api/ddb/ddb_item_read.c api/ddb/ddb_item_batch.c api/ddb/ddb_item_txn.c api/ddb/ddb_item_encode.c api/ddb/ddb_index.c api/ddb/ddb_partiql.c api/ddb/ddb_partiql_exec.c api/ddb/ddb_streams.c api/ddb/ddb_jobs.c
            api/lambda/lambda_api.c api/lambda/lambda_fn.c api/lambda/lambda_version.c api/lambda/lambda_layer.c api/lambda/lambda_invoke.c api/lambda/lambda_inv.c
            api/lambda/lambda_evcfg.c api/lambda/lambda_mapping.c api/lambda/lambda_esm.c
            api/lambda/lambda_logs.c api/lambda/lambda_url.c api/lambda/lambda_url_ep.c
            api/s3/s3_decode.c api/s3/s3_exec.c api/s3/s3_encode.c api/s3/s3_objects.c
            api/s3/s3_multipart.c api/s3/s3_subres.c
            api/s3/s3_tagging.c
            api/s3/s3_versions.c
            api/s3/s3_bucket_docs.c
            api/s3/s3_lifecycle.c
            api/s3/s3_post.c
            api/s3/s3_notify.c
            api/sqs/sqs_api.c api/sqs/sqs_index.c api/sqs/sqs_msg.c
            api/sqs/sqs_query.c # the query protocol (issue 14, Q2)
            api/lambda/lambda_esm_sqs.c # Lambda mappings on SQS queues (issue 14, W2)
            api/events/events_api.c api/events/events_sched.c api/events/events_deliver.c
            api/authz/api_authz.c) # issue 15: authorization
target_include_directories(kvapi PUBLIC api)
target_compile_options(kvapi PRIVATE ${KV_WARN})
target_link_libraries(kvapi PUBLIC kvauth m PRIVATE kvengine PkgConfig::EXPAT PkgConfig::LIBARCHIVE
                      PkgConfig::ZLIB PkgConfig::ZSTD)
# issue 14 (package N): the query protocol codec and SNS
target_sources(kvapi PRIVATE api/codec/api_query.c api/sns/sns_api.c api/sns/sns_topic.c api/sns/sns_sub.c
            api/sns/sns_pub.c api/sns/sns_deliver.c api/sns/sns_http.c)
target_sources(kvengine PRIVATE engine/eng_sns.c)
# issue 14 (package W1): the one sender to queues, topics and buses
target_sources(kvapi PRIVATE api/api_msg.c)
# issue 15 (package L2): SQS, SNS and EventBridge authorization, queue/topic/bus policies
target_sources(kvapi PRIVATE api/api_msg_authz.c api/sqs/sqs_authz.c api/sns/sns_authz.c
            api/events/events_authz.c)
# issue 15 (package P): the policy language and its evaluator
target_sources(kvapi PRIVATE api/authz/pol.c api/authz/pol_eval.c)
# issue 15, package I: IAM (the service, its store, api_iam.h)
target_sources(kvapi PRIVATE api/iam/iam_api.c api/iam/iam_store.c api/iam/iam_users.c
            api/iam/iam_roles.c api/iam/iam_policies.c api/iam/iam_account.c api/iam/iam_principal.c)
target_sources(kvengine PRIVATE engine/eng_iam.c)
# issue 15 (package T): STS and sessions as principals
target_sources(kvapi PRIVATE api/sts/sts_api.c api/sts/sts_ops.c api/sts/sts_principal.c)
# issue 15 (package D): DynamoDB and Streams authorization, fine-grained access
target_sources(kvapi PRIVATE api/ddb/ddb_authz.c)
# issue 15 (package V): Signature Version 2 for S3
target_sources(kvauth PRIVATE api/auth/sigv2.c)
target_sources(kvapi PRIVATE api/api_auth_v2.c)
# issue 15 (package S): S3 authorization, bucket policies, Block Public Access (and the
# account-level settings it keeps in the engine)
target_sources(kvapi PRIVATE api/s3/s3_authz.c api/s3/s3_pab.c)
target_sources(kvengine PRIVATE engine/eng_account.c)
# Issue 15, package L1: Lambda and Logs authorization
target_sources(kvapi PRIVATE api/lambda/lambda_authz.c)
# issue 15, package A: S3 ACLs and Object Ownership
target_sources(kvapi PRIVATE api/s3/s3_acl.c api/s3/s3_acl_ops.c)

target_sources(kvapi PRIVATE api/crypto/api_seal.c) # issue 16: the master key
# issue 16, package E: its sources below
target_sources(kvapi PRIVATE api/s3/s3_sse.c)

# issue 16, package K: its sources below
target_sources(kvapi PRIVATE api/kms/kms_api.c api/kms/kms_req.c api/kms/kms_alias.c api/kms/kms_crypto.c
                            api/kms/kms_grants.c api/kms/kms_authz.c api/kms/kms_blob.c
                            api/kms/kms_store.c api/kms/api_kms.c)
target_sources(kvengine PRIVATE engine/eng_kms.c)
target_sources(kvapi PRIVATE api/ddb/ddb_sse.c) # DynamoDB's SSESpecification

# issue 16, package L: its sources below
target_sources(kvengine PRIVATE engine/eng_objlock.c)
target_sources(kvapi PRIVATE api/s3/s3_lock.c)

# issue 16, package C: its sources below
target_sources(kvapi PRIVATE api/s3/s3_cksum.c)

# issue 16, package G: its sources below
target_sources(kvengine PRIVATE engine/eng_alog.c) # the access-log journal
target_sources(kvapi PRIVATE api/s3/s3_logging.c api/s3/s3_alog.c)

# issue 16, package W: its sources below
target_sources(kvapi PRIVATE api/s3/s3_website.c api/s3/s3_website_ep.c)

# issue 16, package R: its sources below
target_sources(kvapi PRIVATE api/s3/s3_configs.c api/s3/s3_minor.c)

# issue 17: the export/import record store (catalog kind 'E')
target_sources(kvengine PRIVATE engine/eng_ddbio.c)
target_sources(kvapi PRIVATE api/ddb/ddb_s3io.c) # what the export and the import share
# issue 17, package V1: its sources below

# issue 17, package V2: its sources below
target_sources(kvapi PRIVATE api/ddb/ddb_v2.c)

# issue 17, package M: its sources below
target_sources(kvapi PRIVATE api/ddb/ddb_multikey.c) # multi-attribute GSI keys

# issue 17, package H: its sources below
target_sources(kvapi PRIVATE api/codec/api_inflate.c api/ddb/ddb_cors.c) # compressed bodies, CORS

# issue 17, package S: its sources below
target_sources(kvapi PRIVATE api/ddb/ddb_global.c)

# issue 17, package E: its sources below
target_sources(kvengine PRIVATE engine/eng_ddbexp.c)
target_sources(kvapi PRIVATE api/ddb/ddb_export.c api/ddb/ddb_ion_w.c)

# issue 17, package I: its sources below
target_sources(kvapi PRIVATE api/ddb/ddb_import.c api/ddb/ddb_import_job.c api/ddb/ddb_import_src.c
                             api/ddb/ddb_ion_r.c)
target_sources(kvengine PRIVATE engine/eng_import.c)

