use super::*;

fn topic() -> Topic {
    Topic::new(&TopicConfig::default()).expect("built-in lexicon compiles")
}

const SEED_TITLE: &str = "لقاء رفيع المستوى يفتح صفحة جديدة في التعاون الدفاعي ويركّز على رفع الجاهزية وفق المعايير الحديثة";
const SEED_BODY: &str = "طرابلس- المنشر الإخباري\n\nبحث رئيس أركان الجيش الليبي في طرابلس مع نائب قائد أفريكوم تعزيز التعاون الدفاعي والتدريب العسكري، في خطوة تعكس تصاعد الدور الأميركي في دعم الأمن والاستقرار بليبيا.\n\nفي خطوة تعكس تصاعد وتيرة التنسيق العسكري بين ليبيا والولايات المتحدة، استقبل رئيس أركان الجيش الليبي في طرابلس، الفريق صلاح الدين النمروش، نائب قائد القيادة العسكرية الأميركية في إفريقيا (أفريكوم)، الجنرال جون دبليو برينان، في لقاء خُصّص لبحث مستقبل التعاون الدفاعي وبرامج التدريب العسكري.\n\nووفق بيانات صادرة عن رئاسة الأركان الليبية، انصبّ النقاش على آليات دعم برامج التدريب والتأهيل العسكري، مع التركيز على رفع الكفاءة المهنية للأفراد، وتحسين الجاهزية العملياتية.";

#[test]
fn the_seed_article_is_libyan_security_news() {
    let a = topic().assess(
        SEED_TITLE,
        SEED_BODY,
        Some("ar"),
        Focus::General,
        Force::Auto,
    );
    assert!(a.relevant, "{a:#?}");
    assert!(
        a.topics
            .iter()
            .any(|t| t.contains("cooperation") || t.contains("military")),
        "{:?}",
        a.topics
    );
    // The explanation says which terms matched and where.
    assert!(
        a.matched
            .iter()
            .any(|m| m.group == "geo" && m.zone == Zone::Lead),
        "{:?}",
        a.matched
    );
    assert!(a.reason.contains("score"));
}

#[test]
fn a_passing_mention_does_not_carry_an_article() {
    let title = "غارات جوية على مواقع للمسلحين في سوريا";
    let body = "شنت طائرات حربية غارات جوية على مواقع للمسلحين في ريف إدلب شمال غرب سوريا، ما أسفر عن مقتل عشرة مسلحين وتدمير مخازن أسلحة.\n\nويأتي التصعيد في سوريا في وقت تشهد فيه المنطقة توترات أمنية في العراق واليمن وليبيا والسودان.";
    let a = topic().assess(title, body, Some("ar"), Focus::General, Force::Auto);
    assert!(!a.relevant, "{a:#?}");
}

#[test]
fn retrospectives_are_excluded_but_a_sentence_of_years_is_not_one() {
    let t = topic();
    let retro = t.assess(
        "40 عاما على الغارات الأمريكية على طرابلس وبنغازي",
        "في ليلة الخامس عشر من أبريل 1986 استيقظ سكان طرابلس وبنغازي على دوي انفجارات عنيفة، إذ نفذت طائرات أمريكية غارات على ثكنة باب العزيزية ومطار طرابلس وقاعدة بنينا الجوية، ويستعيد مؤرخون تلك الليلة.",
        Some("ar"),
        Focus::General,
        Force::Auto,
    );
    assert!(!retro.relevant, "{retro:#?}");
    // The headline's "15 عاما على" is a prison term, and nothing below speaks of history.
    let verdict = t.assess(
        "الحكم بالسجن 15 عاما على قيادي في ميليشيا مسلحة بطرابلس",
        "أصدرت محكمة جنايات طرابلس حكما بالسجن خمسة عشر عاما على قيادي في ميليشيا مسلحة بعد إدانته بالخطف والاتجار بالأسلحة في العاصمة الليبية، وفق مكتب النائب العام.",
        Some("ar"),
        Focus::General,
        Force::Auto,
    );
    assert!(verdict.relevant, "{verdict:#?}");
}

#[test]
fn lebanese_tripoli_is_not_libya() {
    let title = "اشتباكات مسلحة في طرابلس بين باب التبانة وجبل محسن";
    let body = "اندلعت اشتباكات مسلحة في مدينة طرابلس شمال لبنان بين مسلحين من باب التبانة وجبل محسن، وانتشر الجيش اللبناني في المنطقة.";
    let a = topic().assess(title, body, Some("ar"), Focus::General, Force::Auto);
    assert!(!a.relevant, "{a:#?}");
}

#[test]
fn sport_is_excluded_and_english_and_french_work() {
    let t = topic();
    let sport = t.assess(
        "Libyan Premier League: Al-Ahly Tripoli beat Al-Ittihad in the derby",
        "Al-Ahly Tripoli beat Al-Ittihad 2-1 in the Libyan Premier League derby on Tuesday at Tripoli International Stadium. The coach praised his players after the match, and security forces were deployed around the stadium.",
        Some("en"),
        Focus::General,
        Force::Auto,
    );
    assert!(!sport.relevant, "{sport:#?}");
    let en = t.assess(
        "Clashes erupt between armed groups in Zawiya, west of Tripoli",
        "Heavy clashes broke out on Friday between two armed groups in the Libyan city of Zawiya, killing two civilians, the Libyan Red Crescent said. Militias exchanged fire with medium weapons and the coastal road was closed.",
        Some("en"),
        Focus::General,
        Force::Auto,
    );
    assert!(en.relevant, "{en:#?}");
    let fr = t.assess(
        "Libye : affrontements armés à Zaouïa, à l'ouest de Tripoli",
        "De violents affrontements ont opposé vendredi deux milices armées dans la ville libyenne de Zaouïa, faisant deux morts parmi les civils, selon le Croissant-Rouge libyen.",
        Some("fr"),
        Focus::General,
        Force::Auto,
    );
    assert!(fr.relevant, "{fr:#?}");
    assert!(
        fr.topics.iter().any(|x| x.contains("clash")),
        "{:?}",
        fr.topics
    );
}

#[test]
fn operators_can_add_remove_and_force() {
    let base = topic();
    let title = "Tarhuna: the Kaniyat file reopened";
    let body = "The Kaniyat file was reopened in Tarhuna after new mass graves were found near the town, investigators said.";
    let before = base.assess(title, body, Some("en"), Focus::General, Force::Auto);
    let config = TopicConfig {
        add_geo: vec!["Kaniyat".into()],
        subjects: vec![Group {
            name: "war crimes".into(),
            terms: vec![TermSpec::Plain("mass grave".into())],
        }],
        ..TopicConfig::default()
    };
    let after = Topic::new(&config).expect("compiles").assess(
        title,
        body,
        Some("en"),
        Focus::General,
        Force::Auto,
    );
    assert!(
        after.score > before.score,
        "{} vs {}",
        after.score,
        before.score
    );
    assert!(
        after.topics.contains(&"war crimes".to_string()),
        "{:?}",
        after.topics
    );
    let forced = base.assess(
        "Oil output rises",
        "The NOC said output rose.",
        Some("en"),
        Focus::General,
        Force::Include,
    );
    assert!(forced.relevant && forced.reason.contains("forced in"));
    let removed = Topic::new(&TopicConfig {
        remove: vec![
            "Zawiya".into(),
            "Libyan".into(),
            "Libya".into(),
            "Tripoli".into(),
        ],
        ..TopicConfig::default()
    })
    .expect("compiles");
    let en = removed.assess(
        "Clashes in Zawiya",
        "Clashes in Zawiya killed two.",
        Some("en"),
        Focus::General,
        Force::Auto,
    );
    assert!(
        !en.matched.iter().any(|m| m.term == "Zawiya"),
        "{:?}",
        en.matched
    );
}

#[test]
fn focus_supplies_what_the_source_always_covers() {
    let t = topic();
    let title = "Armed clashes erupt near the coastal road";
    let body = "Armed clashes erupted overnight near the coastal road; gunfire was heard for hours and two fighters were killed.";
    assert!(
        !t.assess(title, body, Some("en"), Focus::General, Force::Auto)
            .relevant
    );
    assert!(
        t.assess(title, body, Some("en"), Focus::Libya, Force::Auto)
            .relevant
    );
}

#[test]
fn trials_of_former_regime_figures_are_judicial_news() {
    let title =
        "محكمة في طرابلس تصدر حكما بالإعدام على سيف الإسلام القذافي وثمانية من رموز النظام السابق";
    let body = "أصدرت محكمة استئناف طرابلس حكما بالإعدام رميا بالرصاص على سيف الإسلام القذافي وعبد الله السنوسي وسبعة من رموز النظام السابق، في ختام محاكمة انتقدتها منظمات حقوق الإنسان.\n\nوحوكم سيف الإسلام غيابيا لأنه محتجز لدى كتيبة في الزنتان ترفض تسليمه إلى طرابلس.";
    let a = topic().assess(title, body, Some("ar"), Focus::General, Force::Auto);
    assert!(!a.relevant, "{a:#?}");
    assert!(
        a.matched
            .iter()
            .any(|m| m.group.starts_with("exclude:trials")),
        "{:?}",
        a.matched
    );
}
