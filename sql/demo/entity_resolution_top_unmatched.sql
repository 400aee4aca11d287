-- Top unmatched external addresses (with the likely account by domain)
select
  email_address,
  count(distinct message_id) as messages,
  max(likely_account_name) as likely_account,
from v_unmatched_emails
group by
  email_address
order by
  messages desc,
  email_address
limit 10
