{{ config(unique_key='payment_id') }}

-- One row per social-assistance payment: the recipient as a token (person_id), assistance type,
-- amount (CNY), benefit month, payment date and community / street / district codes. No name or ID
-- number. Only new or changed rows are merged.
with payments as (
    select * from {{ ref('stg_civil_affairs__assistance_payments') }}
),

final as (
    select
        payment_id,
        person_id,
        assistance_type,
        case assistance_type
            when '最低生活保障' then 'subsistence allowance'
            when '特困人员供养' then 'extreme-poverty support'
            when '临时救助' then 'temporary relief'
            when '残疾人两项补贴' then 'disability allowances'
            when '高龄津贴' then 'old-age allowance'
        end as assistance_type_en,
        amount,
        period,
        try_to_date(period, 'yyyy-MM') as period_month,
        pay_date,
        community_code,
        street_code,
        district_code
    from payments
)

{{ new_or_changed_rows('final', 'payment_id') }}
