//! Generation speed of the demo population, in residents per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kiban_demo::{DemoProfile, generate_chunk};

fn generate(c: &mut Criterion) {
    let base = kiban_core::date::date(2026, 4, 1).unwrap_or(kiban_core::Date::MIN);
    let Ok(profile) = DemoProfile::demo_city(base) else {
        return;
    };
    let residents = 100_000u32;
    let mut group = c.benchmark_group("demo");
    group.throughput(Throughput::Elements(u64::from(residents)));
    group.sample_size(10);
    group.bench_function("generate_chunk_100000_residents", |b| {
        let mut chunk = 0u64;
        b.iter(|| {
            chunk += 1;
            black_box(generate_chunk(42, &profile, chunk, residents))
        });
    });
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
