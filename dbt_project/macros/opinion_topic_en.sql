{#- English label of a public-opinion topic (the generator's topics; others keep their Chinese value). -#}
{%- macro opinion_topic_en(col) -%}
    case {{ col }}
        when '交通拥堵' then 'traffic congestion'
        when '环境污染' then 'environmental pollution'
        when '物业纠纷' then 'property-management disputes'
        when '房价楼市' then 'housing market'
        when '教育入学' then 'school enrolment'
        when '医疗服务' then 'medical services'
        when '食品安全' then 'food safety'
        when '电信诈骗' then 'telecom fraud'
        when '城市建设' then 'urban construction'
        when '暴雨内涝' then 'rainstorm flooding'
        when '噪音扰民' then 'noise nuisance'
        when '就业招聘' then 'jobs and hiring'
        else {{ col }}
    end
{%- endmacro -%}
